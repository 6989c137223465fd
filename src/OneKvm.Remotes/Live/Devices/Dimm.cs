namespace OneKvm.Remotes.Live.Devices;

/// <summary>A DIMM of hot-plugged memory on a NUMA node (MEMORY_RESIZE_MODE=HOTPLUG).</summary>
internal static class Dimm
{
    public static XElement ToXml(long sizeMiB, string node) =>
        new("memory", new XAttribute("model", "dimm"),
            new XElement("target",
                new XElement("size", new XAttribute("unit", "MiB"), sizeMiB),
                new XElement("node", node)));

    /// <summary>A DIMM of the running domain of that size on that node (libvirt writes sizes in KiB).</summary>
    public static bool Matches(XElement device, long sizeMiB, string node)
    {
        var target = device.Element("target");
        return device.Name == "memory" && (string?)device.Attribute("model") == "dimm"
            && (string?)target?.Element("node") == node
            && KiB(target?.Element("size")) == sizeMiB * 1024;
    }

    private static long? KiB(XElement? size) =>
        size is null || !long.TryParse(size.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? null
            : ((string?)size.Attribute("unit"))?.ToLowerInvariant() switch
            {
                null or "kib" or "k" => value,
                "mib" or "m" => value * 1024,
                "gib" or "g" => value * 1024 * 1024,
                "b" or "bytes" => value / 1024,
                _ => null,
            };
}
