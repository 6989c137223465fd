using OneKvm.Remotes.Live.Devices;

namespace OneKvm.Remotes.Live;

/// <summary>
/// The XML of a running domain (virsh dumpxml), parsed once and asked with XLinq what
/// upstream greps for: which devices are attached, the iothreads, the NUMA cells.
/// </summary>
internal sealed class LiveDomain(XElement root)
{
    public XElement Root { get; } = root;

    public IEnumerable<XElement> Devices => Root.Element("devices")?.Elements() ?? [];

    public int IoThreads =>
        int.TryParse(Root.Element("iothreads")?.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>The id of the first NUMA cell, where upstream hot-plugs DIMMs.</summary>
    public string? FirstNumaCell => (string?)Root.Element("cpu")?.Element("numa")?.Elements("cell").FirstOrDefault()?.Attribute("id");

    public static async Task<LiveDomain> ReadAsync(VirshRunner virsh, string domain, CancellationToken cancellationToken) =>
        new(await virsh.Domain(domain).XmlAsync(cancellationToken).ConfigureAwait(false));

    public static LiveDomain Parse(string domain, string xml) =>
        new(SafeXml.Parse(xml, $"the XML of domain {domain}").Root!);

    public XElement? Disk(string target) =>
        Devices.FirstOrDefault(d => d.Name == "disk" && (string?)d.Element("target")?.Attribute("dev") == target);

    /// <summary>The interface with that MAC, whatever its type.</summary>
    public XElement? Interface(string mac) =>
        Devices.FirstOrDefault(d => d.Name == "interface" && MacAddress.Same((string?)d.Element("mac")?.Attribute("address"), mac));

    public bool HasAlias(string alias) => Root.Descendants("alias").Any(a => (string?)a.Attribute("name") == alias);

    /// <summary>Whether a device of the guest already sits at that PCI address (host addresses of passed-through devices do not count).</summary>
    public bool UsesGuestPciAddress(PciAddress address) =>
        Root.Descendants("address").Any(a =>
            (string?)a.Attribute("type") == "pci" && a.Parent?.Name != "source" && PciAddress.Of(a) == address);
}
