namespace OneKvm.Remotes.Checkpoints;

/// <summary>
/// save.ceph, run by save on a ceph system datastore: imports the checkpoint into
/// RBD (one-sys-&lt;vm_id&gt;-checkpoint) and removes the local file. A failed import
/// keeps the file.
/// </summary>
internal sealed class SaveCephAction : IDriverAction
{
    private static readonly ActionParameter CheckpointFile = new("checkpoint_file", "the checkpoint save wrote");
    public static readonly ActionEntry Row = ActionEntry.Hook("save.ceph", "Hook run after save when the system datastore's TM_MAD is ceph.",
        [DeployId, CheckpointFile, ThisHost.Optional(), VmId, VmHost], () => new SaveCephAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var file = arguments[CheckpointFile];
        var ceph = CephCheckpoint.ForCall(context, await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false), arguments);

        if (await CephCheckpoint.RunAsync(context.Programs, ceph.Import(file), cancellationToken).ConfigureAwait(false) is { } failure)
        {
            throw new OneKvmException($"Could not import the checkpoint {file} into {ceph.Image}: {failure}.");
        }
        context.Logger.CheckpointImported(file, ceph.Image);
        context.Logger.RemoveFile(file);
    }
}
