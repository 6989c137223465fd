using OneKvm.Remotes.Live.Devices;

namespace OneKvm.Remotes.Live;

/// <summary>
/// detach_nic: detaches the NIC with that MAC, whatever its type (upstream always says
/// --type bridge, so an ethernet NIC cannot be detached), by handing libvirt the exact
/// interface element of the domain XML; then waits until the guest has really released
/// it (<see cref="DeviceDetach"/>). A MAC that is not attached is success. A PCI device
/// marked ATTACH=YES in the action data is detached the same way.
/// </summary>
internal sealed class DetachNicAction : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Vmm("detach_nic", "Hot-unplug a NIC by its MAC and wait until the guest has released it.",
        [DeployId, AttachNicAction.Mac, VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new DetachNicAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var stdin = await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false);
        var pciElement = string.IsNullOrWhiteSpace(stdin) ? null : ActionData.Parse(stdin).Attaching("PCI");
        var pci = pciElement is null ? null : PciDefinition.Read(pciElement, "the PCI device being detached");
        var mac = pci is null ? MacAddress.Require(arguments.Optional(AttachNicAction.Mac), "given as argument") : null;
        var device = pci?.Name ?? $"NIC {mac}";
        Func<LiveDomain, XElement?> find = live => pci is not null ? pci.FindIn(live.Devices) : live.Interface(mac!);

        var current = await LiveDomain.ReadAsync(context.Virsh, domain, cancellationToken).ConfigureAwait(false);
        if (find(current) is not { } element)
        {
            context.Logger.NotAttached(device, domain);
            return;
        }
        await DeviceDetach.For(context.Virsh, context.Logger, domain, device, DeviceAttach.DetachCommand(domain, element), live => find(live) is not null)
            .RunAsync(cancellationToken).ConfigureAwait(false);
    }
}
