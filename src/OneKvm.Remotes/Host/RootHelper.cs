namespace OneKvm.Remotes.Host;

/// <summary>
/// One of the root helpers at the top of the remotes tree (<c>vgpu</c>,
/// <c>vtpm_setup</c>: onekvm's own entries, RootHelpers/), which oneadmin may run through sudo when the node is set up for
/// it (OpenNebula's sudoers). Upstream asked <c>sudo -l | grep -q vgpu</c>, which any
/// rule mentioning the word satisfies; here sudo is asked about this exact path. As root
/// the helper runs directly. Each run is bounded by VIRSH_TIMEOUT.
/// </summary>
internal sealed record RootHelper(string Name, string Path, IProgramHost Host)
{
    public const string Vgpu = "vgpu";
    public const string Vtpm = "vtpm_setup";

    public static RootHelper For(IProgramHost host, string name) =>
        new(name, System.IO.Path.Combine(host.RemotesRoot, name), host);

    /// <summary>The argv that runs it: directly as root, otherwise through sudo without a prompt.</summary>
    public static (string Program, string[] Arguments) Invocation(string path, IReadOnlyList<string> arguments, bool root) =>
        root ? (path, [.. arguments]) : ("sudo", ["-n", path, .. arguments]);

    /// <summary>The helper exists here and this user may run it (as upstream: otherwise its step is skipped).</summary>
    public async Task<bool> IsUsableAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            return false;
        }
        if (IsRoot)
        {
            return true;
        }
        try
        {
            var check = await Host.Programs.RunAsync(ProgramCommand.Tool("sudo", "-n", "-l", Path).WithDeadline(TimeSpan.FromSeconds(10)),
                cancellationToken).ConfigureAwait(false);
            return check.Succeeded;
        }
        catch (OneKvmException)
        {
            return false; // no sudo on this host, or a sudo that hangs
        }
    }

    /// <summary>Runs it; a non-zero exit, a timeout or a helper that cannot start is a OneKvmException clause naming it.</summary>
    public Task RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var (program, argv) = Invocation(Path, arguments, IsRoot);
        return Host.Programs.RunOrFailAsync(
            ProgramCommand.Tool(program, argv).WithLabel($"{Name} {arguments[0]}").WithDeadline(Host.VirshTimeout), cancellationToken);
    }

    private static bool IsRoot => Environment.UserName == "root";
}
