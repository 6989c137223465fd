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
        var xml = disk.ToXml(before?.IoThreads ?? 0);
        if (before is not null && await DetachedLeftoverAsync(context, domain, before, target, xml, cancellationToken).ConfigureAwait(false))
        {
            before = await LiveDomain.ReadAsync(context.Virsh, domain, cancellationToken).ConfigureAwait(false);
        }
        Task AttachAsync() => DeviceAttach.RunAsync(context.Virsh, context.Logger, domain, before, $"disk {target}", $"Could not attach {path} ({target}) to {domain}",
            xml, l => l.Disk(target), cancellationToken);
        try
        {
            await AttachAsync().ConfigureAwait(false);
        }
        catch (OneKvmException e) when (before is null && e.InnerException is VirshException v
            && v.Result.StandardError.Contains($"target '{target}' duplicated", StringComparison.Ordinal))
        {
            var live = await LiveDomain.ReadAsync(context.Virsh, domain, cancellationToken).ConfigureAwait(false);
            if (!await DetachedLeftoverAsync(context, domain, live, target, xml, cancellationToken).ConfigureAwait(false))
            {
                throw;
            }
            await AttachAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The same image at the same target is what an attach_disk killed after libvirt attached it left: oned took that
    /// attach for failed (its TM may even have deleted and made the image again). It is detached, so that the disk
    /// is attached anew; a target held by another image is left alone (libvirt refuses it).
    /// </summary>
    private static async Task<bool> DetachedLeftoverAsync(DriverContext context, string domain, LiveDomain live, string target, XElement wanted,
        CancellationToken cancellationToken)
    {
        if (live.Disk(target) is not { } leftover || !SameSource(leftover, wanted))
        {
            return false;
        }
        context.Logger.LeftoverDiskDetached(target, domain);
        await DeviceDetach.For(context.Virsh, context.Logger, domain, $"disk {target}", DeviceAttach.DetachCommand(domain, leftover), l => l.Disk(target) is not null)
            .RunAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static bool SameSource(XElement live, XElement wanted) =>
        live.Element("source") is { } a && wanted.Element("source") is { } b
        && SourceKeys.All(k => (string?)a.Attribute(k) == (string?)b.Attribute(k));

    private static readonly string[] SourceKeys = ["file", "dev", "protocol", "name"];
}
