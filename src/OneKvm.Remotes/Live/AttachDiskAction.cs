using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Live;
using OneKvm.Remotes.Xml;
using OneKvm.Remotes.Live.Devices;

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
    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments.Required("deploy_id");
        var path = arguments.Required("disk_target_path");
        var target = arguments.Required("target");
        var data = ActionData.Parse(await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false));
        var element = data.Attaching("DISK")
            ?? throw new OneKvmException("The action data has no DISK with ATTACH=YES, so there is no disk to attach.");
        var disk = DiskDefinition.Read(element, data.Template, data.VmId, path, target, context.Settings);

        var before = disk.UsesVirtioBlk ? await LiveDomain.ReadAsync(context.Virsh, domain, cancellationToken).ConfigureAwait(false) : null;
        await DeviceAttach.RunAsync(context, domain, before, $"disk {target}", $"Could not attach {path} ({target}) to {domain}",
            disk.ToXml(before?.IoThreads ?? 0), l => l.Disk(target), cancellationToken).ConfigureAwait(false);
    }
}
