namespace OneKvm.Remotes.Checkpoints;

/// <summary>
/// restore.ceph, run by restore on a ceph system datastore: exports the checkpoint
/// from RBD back to its file, then removes the image. The export goes to a temporary
/// name first, so a half export never poses as a checkpoint, and a file already there
/// is moved aside rather than lost. A failed image removal only warns, as upstream's
/// restore went on after it.
/// </summary>
internal sealed class RestoreCephAction : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Hook("restore.ceph", "Hook run before restore when the system datastore's TM_MAD is ceph.",
        [RestoreAction.CheckpointFile, ThisHost, DeployId.Optional(), VmId, VmHost], () => new RestoreCephAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var file = arguments[RestoreAction.CheckpointFile];
        var ceph = CephCheckpoint.ForCall(context, await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false), arguments);

        var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, $".{Path.GetFileName(file)}.onekvm-{Guid.NewGuid():N}");
        try
        {
            if (await CephCheckpoint.RunAsync(context.Programs, ceph.Export(temporary), cancellationToken).ConfigureAwait(false) is { } failure)
            {
                throw new OneKvmException($"Could not export the checkpoint {ceph.Image} to {file}: {failure}.");
            }
            if (File.Exists(file))
            {
                var aside = CheckpointSetAside.Move(file, context.Time.GetUtcNow().ToUnixTimeSeconds());
                context.Logger.CheckpointMovedAside(file, aside);
            }
            File.Move(temporary, file, overwrite: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OneKvmException($"Could not export the checkpoint {ceph.Image} to {file}: {e.Message.TrimEnd('.')}.", e);
        }
        finally
        {
            File.Delete(temporary);
        }
        context.Logger.CheckpointExported(ceph.Image, file);

        if (await CephCheckpoint.RunAsync(context.Programs, ceph.Remove(), cancellationToken).ConfigureAwait(false) is { } notRemoved)
        {
            context.Logger.ImageNotRemoved(ceph.Image, notRemoved);
        }
    }
}
