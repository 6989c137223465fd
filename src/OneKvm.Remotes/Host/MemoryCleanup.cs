namespace OneKvm.Remotes.Host;

/// <summary>
/// CLEANUP_MEMORY_ON_START/STOP: drop the page cache and compact memory so that a
/// large VM finds contiguous memory. Needs root; oneadmin gets it through sudo, and
/// OpenNebula's sudoers allow exactly one command line for it (ONE_MEM:
/// <c>/usr/sbin/sysctl vm.drop_caches=3 vm.compact_memory=1</c>), so that is the line
/// sudo is given: the absolute path (sudo matches the path, not the name) and the same
/// two arguments in the same order, nothing more (an added <c>-q</c> is refused). As root
/// sysctl runs directly, found in PATH. A failure is logged and never fails the action.
/// </summary>
internal static class MemoryCleanup
{
    /// <summary>The program the sudoers rule names.</summary>
    public const string SysctlPath = "/usr/sbin/sysctl";

    /// <summary>The arguments the sudoers rule allows, in its order.</summary>
    public static readonly IReadOnlyList<string> SysctlArguments = ["vm.drop_caches=3", "vm.compact_memory=1"];

    /// <summary>sudo without a prompt, then exactly the rule's command line; on another host too, where the driver is oneadmin.</summary>
    public static readonly IReadOnlyList<string> SudoCommand = ["sudo", "-n", SysctlPath, .. SysctlArguments];

    /// <summary>On this host: sysctl as root, otherwise <see cref="SudoCommand"/>.</summary>
    /// <param name="wait">false after a VM stopped: the caller answers at once and the cleanup goes on.</param>
    public static Task RunAsync(IProgramHost host, bool wait, CancellationToken cancellationToken)
    {
        var command = Environment.UserName == "root" || Environment.GetEnvironmentVariable("EUID") == "0"
            ? ProgramCommand.Tool("sysctl", SysctlArguments)
            : ProgramCommand.Tool(SudoCommand[0], SudoCommand.Skip(1));
        return RunAsync(host, command.WithLabel("memory cleanup"), wait, host.Logger.MemoryCleanupFailed, host.Logger.MemoryCleanupCannotRun,
            cancellationToken);
    }

    /// <summary>The cleanup when kvmrc's switch for the moment (CLEANUP_MEMORY_ON_START or _ON_STOP) is on.</summary>
    public static Task RunIfAsync(bool enabled, IProgramHost host, bool wait, CancellationToken cancellationToken) =>
        enabled ? RunAsync(host, wait, cancellationToken) : Task.CompletedTask;

    /// <summary>The same on another host, through ssh as oneadmin, so with sudo (migrate_local runs on the front-end).</summary>
    public static Task RunOnAsync(IProgramHost host, string remoteHost, bool wait, CancellationToken cancellationToken) =>
        RunAsync(host, RemoteShell.Command(remoteHost, SudoCommand, host.VirshTimeout), wait,
            reason => host.Logger.MemoryCleanupOnHostFailed(remoteHost, reason),
            reason => host.Logger.MemoryCleanupOnHostCannotRun(remoteHost, reason), cancellationToken);

    private static async Task RunAsync(IProgramHost host, ProgramCommand command, bool wait, Action<string> failed,
        Action<string> cannotRun, CancellationToken cancellationToken)
    {
        if (!wait)
        {
            if (host.Programs.Start(command) is { } reason)
            {
                cannotRun(reason);
            }
            return;
        }
        try
        {
            // compacting a large host's memory takes as long as it takes (ssh's connect is still bounded: ConnectTimeout)
            var result = await host.Programs.RunAsync(command.WithoutDeadline(), cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                failed(result.Reason());
            }
        }
        catch (OneKvmException e)
        {
            cannotRun(e.Message);
        }
    }
}
