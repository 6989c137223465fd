using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Live;
using OneKvm.Remotes.Xml;
using OneKvm.Remotes.Live.Devices;
using OneKvm.Remotes.Driver;
using static OneKvm.Remotes.Driver.ActionParameter;

namespace OneKvm.Remotes.Live;

/// <summary>
/// attach_disk: hot-plugs the DISK marked ATTACH=YES in the action data on stdin (the
/// base64 copy in the arguments is ignored: it may be cut at 128 KiB). Every value is
/// checked before libvirt is asked. The domain is read first only for a virtio-blk disk,
/// which needs its iothreads (libvirt itself refuses a target the domain already has).
/// A failed attach leaves nothing attached.
/// </summary>
internal sealed class AttachDiskAction : IDriverAction
{
    public static readonly ActionParameter DiskTargetPath = new("disk_target_path", "path of the disk on this host");
    public static readonly ActionParameter Target = new("target", "target device (vdb, sdc...)");
    public static readonly ActionParameter TargetIndex = new("target_index", "index of the target");
    public static readonly ActionEntry Row = ActionEntry.Vmm("attach_disk", "Hot-plug the disk marked ATTACH=YES in the action data.",
        [DeployId, DiskTargetPath, Target, TargetIndex, ActionDataBase64, VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new AttachDiskAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var path = arguments[DiskTargetPath];
        var target = arguments[Target];
        var data = ActionData.Parse(await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false));
        var element = data.Attaching("DISK")
            ?? throw new OneKvmException("The action data has no DISK with ATTACH=YES, so there is no disk to attach.");
        var disk = DiskDefinition.Read(element, data.Template, data.VmId, path, target, context.Settings);

        var before = disk.UsesVirtioBlk ? await LiveDomain.ReadAsync(context.Virsh, domain, cancellationToken).ConfigureAwait(false) : null;
        await DeviceAttach.RunAsync(context, domain, before, $"disk {target}", $"Could not attach {path} ({target}) to {domain}",
            disk.ToXml(before?.IoThreads ?? 0), l => l.Disk(target), cancellationToken).ConfigureAwait(false);
    }
}
