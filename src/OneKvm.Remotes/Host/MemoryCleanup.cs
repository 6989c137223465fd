using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Logging;
using Microsoft.Extensions.Logging;

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

    /// <summary>What runs the cleanup on this host: sysctl as root, otherwise <see cref="SudoCommand"/>.</summary>
    public static (string Program, string[] Arguments) Invocation(bool root) =>
        root ? ("sysctl", [.. SysctlArguments]) : (SudoCommand[0], [.. SudoCommand.Skip(1)]);

    /// <param name="wait">false after a VM stopped: the caller answers at once and the cleanup goes on.</param>
    public static async Task RunAsync(ILogger logger, bool wait, CancellationToken cancellationToken)
    {
        var (program, arguments) = Invocation(Environment.UserName == "root" || Environment.GetEnvironmentVariable("EUID") == "0");
        var command = ExternalTool.Prepare(program, arguments);
        if (!wait)
        {
            ExternalTool.StartUnwaited(command, reason => logger.MemoryCleanupCannotRun(reason));
            return;
        }
        try
        {
            // compacting a large host's memory takes as long as it takes: no VIRSH_TIMEOUT
            var result = await ExternalTool.RunAsync(command, "memory cleanup", ExternalTool.NoDeadline, cancellationToken)
                .ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                logger.MemoryCleanupFailed(ExternalTool.Reason(result));
            }
        }
        catch (OneKvmException e)
        {
            logger.MemoryCleanupCannotRun(e.Message);
        }
    }

    /// <summary>The same on another host, through ssh as oneadmin, so with sudo (migrate_local runs on the front-end).</summary>
    public static async Task RunOnAsync(ILogger logger, TimeSpan connectTimeout, string host, bool wait, CancellationToken cancellationToken)
    {
        if (!wait)
        {
            ExternalTool.StartUnwaited(RemoteShell.Wrap(connectTimeout, host, SudoCommand),
                reason => logger.MemoryCleanupOnHostCannotRun(host, reason));
            return;
        }
        try
        {
            // ssh's connection is still bounded (ConnectTimeout=VIRSH_TIMEOUT); the compaction is not
            var result = await RemoteShell.RunAsync(connectTimeout, host, SudoCommand, ExternalTool.NoDeadline, cancellationToken)
                .ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                logger.MemoryCleanupOnHostFailed(host, ExternalTool.Reason(result));
            }
        }
        catch (OneKvmException e)
        {
            logger.MemoryCleanupOnHostCannotRun(host, e.Message);
        }
    }
}
