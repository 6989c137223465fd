namespace OneKvm.Remotes.Host;

/// <summary>
/// Runs a program on a given host: this one directly (argv, no shell), another one through
/// ssh (<see cref="RemoteShell"/>, each word quoted for its shell). migrate works on the
/// source's files from the source itself; migrate_local, run on the front-end, through ssh.
/// </summary>
/// <param name="RemoteHost">null for this host.</param>
internal sealed record HostShell(IProgramHost Host, string? RemoteHost, string Name)
{
    public static HostShell Local(IProgramHost host, string name) => new(host, null, name);

    public static HostShell Remote(IProgramHost host, string remoteHost) => new(host, remoteHost, remoteHost);

    /// <param name="deadline">VIRSH_TIMEOUT, or <see cref="Timeout.InfiniteTimeSpan"/> for a command that lasts as long as the data is large</param>
    public ProgramCommand Command(IReadOnlyList<string> command, TimeSpan deadline) => (RemoteHost is null
        ? ProgramCommand.Tool(command[0], command.Skip(1))
        : RemoteShell.Command(RemoteHost, command, Host.VirshTimeout)).WithDeadline(deadline);

    /// <summary>Runs the command; a timeout or a program that cannot start is a OneKvmException, an exit code is the caller's.</summary>
    public Task<ProgramResult> RunAsync(IReadOnlyList<string> command, TimeSpan deadline, CancellationToken cancellationToken) =>
        Host.Programs.RunAsync(Command(command, deadline), cancellationToken);

    /// <summary>Runs the command and answers its stdout; a non-zero exit is a OneKvmException naming <paramref name="what"/>.</summary>
    public async Task<string> RunOrFailAsync(IReadOnlyList<string> command, string what, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var result = await RunAsync(command, deadline, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result.StandardOutput : throw new OneKvmException($"{what} failed on {Name}: {result.Reason()}");
    }
}
