namespace OneKvm.Remotes.Live.Devices;

/// <summary>
/// The PCI device being hot-plugged (PCI[ATTACH=YES]): a mediated device by UUID, an
/// SR-IOV virtual function as an &lt;interface type='hostdev'&gt;, or a whole device as a
/// &lt;hostdev&gt;. The guest address (VM_DOMAIN/BUS/SLOT/FUNCTION) is used only where the
/// domain can take it: upstream's rule, read here from the parsed domain XML.
/// </summary>
internal sealed class PciDefinition
{
    public const string SysfsDevices = "/sys/bus/pci/devices";

    private PciDefinition(TemplateVector pci)
    {
        var mdevMode = pci.Text("MDEV_MODE")?.ToLowerInvariant();
        // as deploy writes it: a UUID is a mediated device unless the NVIDIA mode makes it a VF
        MediatedUuid = pci.Text("UUID") is { } uuid && mdevMode is null or "legacy" ? uuid : null;
        Managed = mdevMode != "nvidia";
        HostAddress = PciAddress.Parse(pci.Text("DOMAIN"), pci.Text("BUS"), pci.Text("SLOT"), pci.Text("FUNCTION"));
        if (MediatedUuid is null && HostAddress is null)
        {
            throw new OneKvmException($"{pci.Subject} has no valid DOMAIN, BUS, SLOT and FUNCTION (hex numbers) nor a UUID.");
        }
        GuestAddress = PciAddress.Parse(pci.Text("VM_DOMAIN"), pci.Text("VM_BUS"), pci.Text("VM_SLOT"), pci.Text("VM_FUNCTION"));
    }

    public string? MediatedUuid { get; }

    public PciAddress? HostAddress { get; }

    /// <summary>Where the guest should see the device (VM_* attributes), when all four are given.</summary>
    public PciAddress? GuestAddress { get; }

    public bool Managed { get; }

    public string Name => MediatedUuid is { } uuid ? $"mediated device {uuid}" : $"PCI device {HostAddress}";

    public static PciDefinition Read(XElement pci, string description) => new(new TemplateVector(pci, description));

    /// <summary>An SR-IOV virtual function has a physfn link in sysfs.</summary>
    public bool IsVirtualFunction(string sysfsDevices = SysfsDevices) =>
        HostAddress is { } address && Path.Exists(Path.Combine(sysfsDevices, address.ToString(), "physfn"));

    /// <param name="guestAddressUsable">The domain has the pci.1 bridge and the guest address is free.</param>
    public XElement ToXml(bool virtualFunction, bool guestAddressUsable)
    {
        if (MediatedUuid is not null)
        {
            return new XElement("hostdev", new XAttribute("mode", "subsystem"), new XAttribute("type", "mdev"), new XAttribute("model", "vfio-pci"),
                new XElement("source", new XElement("address", new XAttribute("uuid", MediatedUuid))));
        }
        var source = new XElement("source", new XElement("address",
            virtualFunction ? new XAttribute("type", "pci") : null, HostAddress!.Value.Attributes()));
        var guest = guestAddressUsable && GuestAddress is { } g
            ? new XElement("address", new XAttribute("type", "pci"), g.Attributes())
            : null;
        return virtualFunction
            ? new XElement("interface", new XAttribute("type", "hostdev"), new XAttribute("managed", "yes"), source, guest)
            : new XElement("hostdev", new XAttribute("mode", "subsystem"), new XAttribute("type", "pci"),
                new XAttribute("managed", Managed ? "yes" : "no"), source, guest);
    }

    /// <summary>The device of the running domain that is this one (by UUID or host address), or null.</summary>
    public XElement? FindIn(IEnumerable<XElement> devices) =>
        devices.FirstOrDefault(device =>
        {
            var address = device.Element("source")?.Element("address");
            return MediatedUuid is not null
                ? device.Name == "hostdev" && (string?)address?.Attribute("uuid") == MediatedUuid
                : (device.Name == "hostdev" || device.Name == "interface" && (string?)device.Attribute("type") == "hostdev")
                  && PciAddress.Of(address) == HostAddress;
        });
}
