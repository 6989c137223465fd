using CliWrap;
using CliWrap.Buffered;
using OneKvm.Remotes.Errors;

namespace OneKvm.Remotes.Host;

/// <summary>
/// Runs a program on a given host: this one directly (argv, no shell), another one through
/// ssh (<see cref="RemoteShell"/>, each word quoted for its shell). migrate works on the
/// source's files from the source itself; migrate_local, run on the front-end, through ssh.
/// </summary>
internal sealed class HostShell
{
    private readonly TimeSpan _connectTimeout;

    private HostShell(TimeSpan connectTimeout, string? remoteHost, string name)
    {
        _connectTimeout = connectTimeout;
        RemoteHost = remoteHost;
        Name = name;
    }

    /// <summary>null for this host.</summary>
    public string? RemoteHost { get; }

    public string Name { get; }

    public static HostShell Local(string name) => new(TimeSpan.Zero, null, name);

    /// <param name="connectTimeout">VIRSH_TIMEOUT, which ssh waits for the host at most</param>
    public static HostShell Remote(TimeSpan connectTimeout, string host) => new(connectTimeout, host, host);

    public Command Prepare(IReadOnlyList<string> command) => RemoteHost is null
        ? ExternalTool.Prepare(command[0], command.Skip(1).ToArray())
        : RemoteShell.Wrap(_connectTimeout, RemoteHost, command);

    /// <summary>Runs the command; a timeout or a program that cannot start is a OneKvmException, an exit code is the caller's.</summary>
    public Task<BufferedCommandResult> RunAsync(IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken) =>
        ExternalTool.RunAsync(Prepare(command), RemoteHost is null ? command[0] : $"ssh {RemoteHost} {command[0]}", timeout, cancellationToken);

    /// <summary>Runs the command and answers its stdout; a non-zero exit is a OneKvmException naming <paramref name="what"/>.</summary>
    public async Task<string> RunOrFailAsync(IReadOnlyList<string> command, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await RunAsync(command, timeout, cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0
            ? result.StandardOutput
            : throw new OneKvmException($"{what} failed on {Name}: {ExternalTool.Reason(result)}");
    }
}
