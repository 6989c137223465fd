namespace OneKvm.Remotes.Snapshots;

/// <summary>
/// snapshot_delete: deletes a system snapshot, then its metadata file, and rewrites
/// the files of the remaining snap-* snapshots (their parent may have changed).
/// Upstream removed the file first, losing it when the delete then failed.
/// </summary>
internal sealed class SnapshotDeleteAction : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Vmm("snapshot_delete", "Delete a system snapshot and its saved metadata.",
        [DeployId, SnapshotRevertAction.SnapshotName, VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new SnapshotDeleteAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var name = arguments[SnapshotRevertAction.SnapshotName];
        if (!DatastoreHook.IsPlainName(name))
        {
            throw new UsageException($"The snapshot name '{name}' is not a plain name.");
        }
        var failure = $"Could not delete snapshot {name} of domain {domain}";
        var directory = await SnapshotActions.SystemDatastoreAsync(context, domain, failure, cancellationToken).ConfigureAwait(false)
            ?? throw new OneKvmException($"{failure}: the domain has no OpenNebula system_datastore metadata.");
        await SnapshotCarry.RecoverHereAsync(context, domain, directory, cancellationToken).ConfigureAwait(false);

        try
        {
            await context.Virsh.RunAsync(SnapshotActions.DeleteCommand(domain, name), cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException e) when (SnapshotActions.IsNoSuchSnapshot(e))
        {
            // run again after a delete killed once libvirt had deleted it: the metadata file is still to go
            context.Logger.SnapshotAlreadyDeleted(domain, name);
        }
        catch (VirshException e)
        {
            throw VirshRunnerExtensions.ActionFailure(failure, e);
        }
        context.Logger.RemoveFile(SnapshotFiles.PathOf(directory, name));

        // the snapshot is gone: failing now would make oned believe it is not
        ProgramResult list;
        try
        {
            list = await context.Virsh.RunAsync(VirshCommand.Create("snapshot-list", "--domain", domain, "--name").WithReadOnly(),
                cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException e)
        {
            context.Logger.SnapshotsNotListed(domain, VirshException.ReasonOf(e));
            return;
        }
        foreach (var other in list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(n => n.StartsWith(SnapshotFiles.Prefix, StringComparison.Ordinal)))
        {
            await SnapshotMetadata.DumpAsync(context.Virsh, context.Logger, domain, other, directory, cancellationToken).ConfigureAwait(false);
        }
    }
}
