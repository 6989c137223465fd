using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Logging;

namespace OneKvm.Remotes.Checkpoints;

/// <summary>
/// save.ceph, run by save on a ceph system datastore: imports the checkpoint into
/// RBD (one-sys-&lt;vm_id&gt;-checkpoint) and removes the local file. A failed import
/// keeps the file.
/// </summary>
internal sealed class SaveCephAction : IDriverAction
{
    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var file = arguments.Required("checkpoint_file");
        var ceph = await CephCheckpoint.ForCallAsync(context, arguments, cancellationToken).ConfigureAwait(false);

        if (await CephCheckpoint.RunAsync(context.Programs, ceph.Import(file), cancellationToken).ConfigureAwait(false) is { } failure)
        {
            throw new OneKvmException($"Could not import the checkpoint {file} into {ceph.Image}: {failure}.");
        }
        context.Logger.CheckpointImported(file, ceph.Image);
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            context.Logger.FileNotRemoved(file, e.Message);
        }
    }
}
