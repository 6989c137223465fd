using Microsoft.Extensions.Logging;
using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Errors;

namespace OneKvm.Remotes.Host;

/// <summary>
/// CLEANUP_MEMORY_ON_START/STOP: drop the page cache and compact memory so that a
/// large VM finds contiguous memory. Needs root; oneadmin gets it through sudo, as
/// upstream does. A failure is logged and never fails the action.
/// </summary>
internal static class MemoryCleanup
{
    public static readonly string[] SysctlArguments = ["-q", "vm.drop_caches=3", "vm.compact_memory=1"];

    /// <param name="wait">false after a VM stopped: the caller answers at once and the cleanup goes on.</param>
    public static async Task RunAsync(DriverContext context, bool wait, CancellationToken cancellationToken)
    {
        var command = Environment.UserName == "root" || Environment.GetEnvironmentVariable("EUID") == "0"
            ? ExternalTool.Prepare("sysctl", SysctlArguments)
            : ExternalTool.Prepare("sudo", ["-n", "sysctl", .. SysctlArguments]);
        if (!wait)
        {
            ExternalTool.StartUnwaited(command, reason => context.Logger.LogWarning("memory cleanup could not run: {Reason}", reason));
            return;
        }
        try
        {
            // compacting a large host's memory takes as long as it takes: no VIRSH_TIMEOUT
            var result = await ExternalTool.RunAsync(command, "memory cleanup", ExternalTool.NoDeadline, cancellationToken)
                .ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                context.Logger.LogWarning("memory cleanup (sysctl vm.drop_caches, vm.compact_memory) failed: {Reason}",
                    ExternalTool.Reason(result));
            }
        }
        catch (OneKvmException e)
        {
            context.Logger.LogWarning("memory cleanup could not run: {Reason}", e.Message);
        }
    }

    /// <summary>The same on another host, through ssh as oneadmin, so with sudo (migrate_local runs on the front-end).</summary>
    public static async Task RunOnAsync(DriverContext context, string host, bool wait, CancellationToken cancellationToken)
    {
        string[] command = ["sudo", "-n", "sysctl", .. SysctlArguments];
        if (!wait)
        {
            ExternalTool.StartUnwaited(RemoteShell.Wrap(context, host, command),
                reason => context.Logger.LogWarning("memory cleanup could not run: {Reason}", reason));
            return;
        }
        try
        {
            var result = await RemoteShell.RunAsync(context, host, command, cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                context.Logger.LogWarning("memory cleanup on {Host} (sudo sysctl vm.drop_caches, vm.compact_memory) failed: {Reason}",
                    host, ExternalTool.Reason(result));
            }
        }
        catch (OneKvmException e)
        {
            context.Logger.LogWarning("memory cleanup on {Host} could not run: {Reason}", host, e.Message);
        }
    }
}
