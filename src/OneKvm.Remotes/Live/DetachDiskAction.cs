namespace OneKvm.Remotes.Live;

/// <summary>
/// detach_disk: detaches the disk by its target and succeeds only once the domain XML
/// no longer has it. Upstream checks once, at once, so a guest that takes a moment to
/// let go fails the detach; a target that is not attached is success here.
/// </summary>
internal sealed class DetachDiskAction : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Vmm("detach_disk", "Hot-unplug a disk by its target and check that it is gone.",
        [DeployId, AttachDiskAction.DiskTargetPath, AttachDiskAction.Target, AttachDiskAction.TargetIndex.Optional(), VmId, VmHost],
        ActionEntry.ActionData, ActionEntry.Nothing, () => new DetachDiskAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var target = arguments[AttachDiskAction.Target];
        await DeviceDetach.For(context.Virsh, context.Logger, domain, $"disk {target}", VirshCommand.Create("detach-disk", "--domain", domain, "--target", target),
            live => live.Disk(target) is not null).RunAsync(cancellationToken).ConfigureAwait(false);
    }
}
