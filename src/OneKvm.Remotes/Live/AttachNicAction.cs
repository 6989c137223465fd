using OneKvm.Remotes.Live.Devices;

namespace OneKvm.Remotes.Live;

/// <summary>
/// attach_nic: hot-plugs the NIC marked ATTACH=YES (or, for PCI passthrough, the PCI
/// device marked so) from the action data on stdin. kvmrc is found next to this
/// remotes tree, not at upstream's hard-coded /var/tmp/one, so DEFAULT_ATTACH_NIC_MODEL
/// and _FILTER apply wherever the remotes live. A failed attach leaves nothing attached.
/// </summary>
internal sealed class AttachNicAction : IDriverAction
{
    public static readonly ActionParameter Mac = new("mac", "MAC address");
    public static readonly ActionEntry Row = ActionEntry.Vmm("attach_nic", "Hot-plug the NIC marked ATTACH=YES in the action data.",
        [DeployId, Mac, new("bridge", "bridge name"), new("model", "NIC model, or - for the default"), new("vn_mad", "virtual network driver"),
         new ActionParameter("target", "tap device name").Optional(), VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new AttachNicAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var macArgument = arguments.Optional(Mac);
        var data = ActionData.Parse(await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false));
        if (data.Attaching("PCI") is { } element)
        {
            var pci = PciDefinition.Read(element, "the PCI device being attached");
            var domainXml = await LiveDomain.ReadAsync(context.Virsh, domain, cancellationToken).ConfigureAwait(false);
            // a guest address needs the pci.1 bridge deploy adds, and must be free
            var guestAddressUsable = domainXml.HasAlias("pci.1") && pci.GuestAddress is { } address
                && !domainXml.UsesGuestPciAddress(address);
            await DeviceAttach.RunAsync(context.Virsh, context.Logger, domain, domainXml, pci.Name, $"Could not attach {pci.Name} to {domain}",
                pci.ToXml(pci.IsVirtualFunction(), guestAddressUsable), l => pci.FindIn(l.Devices), cancellationToken)
                .ConfigureAwait(false);
            return;
        }

        var nic = NicDefinition.Read(
            data.Attaching("NIC") ?? throw new OneKvmException("The action data has no NIC or PCI device with ATTACH=YES, so there is nothing to attach."),
            data.Template, macArgument, context.Settings);
        if (macArgument is not null && !MacAddress.Same(MacAddress.Require(macArgument, "given as argument"), nic.Mac))
        {
            context.Logger.MacArgumentDiffers(macArgument, nic.Mac);
        }
        // libvirt attaches a second NIC with a MAC the domain already has: read the domain first
        var before = await LiveDomain.ReadAsync(context.Virsh, domain, cancellationToken).ConfigureAwait(false);
        await DeviceAttach.RunAsync(context.Virsh, context.Logger, domain, before, $"NIC {nic.Mac}", $"Could not attach NIC {nic.Mac} to {domain}",
            nic.ToXml(), l => l.Interface(nic.Mac), cancellationToken).ConfigureAwait(false);
    }
}
