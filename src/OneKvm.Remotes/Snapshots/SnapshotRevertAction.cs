using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Virsh;

namespace OneKvm.Remotes.Snapshots;

/// <summary>
/// snapshot_revert: back to a system snapshot, forced as upstream (a running snapshot of a
/// running domain). Without VIRSH_TIMEOUT: it loads the guest's memory, as restore does.
/// </summary>
internal sealed class SnapshotRevertAction : IDriverAction
{
    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments.Required("deploy_id");
        var name = arguments.Required("snapshot_name");
        var revert = VirshCommand.Create("snapshot-revert", "--domain", domain, "--snapshotname", name, "--force")
            .WithoutDeadline().RetriedWhileBlockJob();
        await BlockJobRetry.Runner(context.Virsh)
            .RunOrFailAsync(revert, $"Could not revert domain {domain} to snapshot {name}", cancellationToken).ConfigureAwait(false);
    }
}
