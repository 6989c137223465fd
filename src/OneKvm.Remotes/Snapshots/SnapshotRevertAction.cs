namespace OneKvm.Remotes.Snapshots;

/// <summary>
/// snapshot_revert: back to a system snapshot, forced as upstream (a running snapshot of a
/// running domain). Without VIRSH_TIMEOUT: it loads the guest's memory, as restore does.
/// </summary>
internal sealed class SnapshotRevertAction : IDriverAction
{
    public static readonly ActionParameter SnapshotName = new("snapshot_name", "snapshot name (snap-<id>)");
    public static readonly ActionEntry Row = ActionEntry.Vmm("snapshot_revert", "Revert the domain to a system snapshot.",
        [DeployId, SnapshotName, VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new SnapshotRevertAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var name = arguments[SnapshotName];
        var revert = VirshCommand.Create("snapshot-revert", "--domain", domain, "--snapshotname", name, "--force")
            .WithoutDeadline().RetriedWhileBlockJob();
        var failure = $"Could not revert domain {domain} to snapshot {name}";
        try
        {
            await BlockJobRetry.Runner(context.Virsh).RunAsync(revert, cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException e) when (SnapshotActions.IsNoSuchSnapshot(e))
        {
            // a move cut off between dropping the snapshot metadata and redefining it left them in a journal in the VM directory
            var directory = await SnapshotActions.SystemDatastoreAsync(context, domain, failure, cancellationToken).ConfigureAwait(false)
                ?? throw VirshRunnerExtensions.ActionFailure(failure, e);
            await SnapshotCarry.RecoverHereAsync(context, domain, directory, cancellationToken).ConfigureAwait(false);
            await BlockJobRetry.Runner(context.Virsh).RunOrFailAsync(revert, failure, cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException e)
        {
            throw VirshRunnerExtensions.ActionFailure(failure, e);
        }
    }
}
