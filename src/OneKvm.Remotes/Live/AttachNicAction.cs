using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Live;
using OneKvm.Remotes.Logging;
using OneKvm.Remotes.Xml;
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
    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments.Required("deploy_id");
        var macArgument = arguments.Optional("mac");
        var data = ActionData.Parse(await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false));
        if (data.Attaching("PCI") is { } element)
        {
            var pci = PciDefinition.Read(element, "the PCI device being attached");
            var domainXml = await LiveDomain.ReadAsync(context.Virsh, domain, cancellationToken).ConfigureAwait(false);
            // a guest address needs the pci.1 bridge deploy adds, and must be free
            var guestAddressUsable = domainXml.HasAlias("pci.1") && pci.GuestAddress is { } address
                && !domainXml.UsesGuestPciAddress(address);
            await DeviceAttach.RunAsync(context, domain, domainXml, pci.Name, $"Could not attach {pci.Name} to {domain}",
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
        await DeviceAttach.RunAsync(context, domain, before, $"NIC {nic.Mac}", $"Could not attach NIC {nic.Mac} to {domain}",
            nic.ToXml(), l => l.Interface(nic.Mac), cancellationToken).ConfigureAwait(false);
    }
}
