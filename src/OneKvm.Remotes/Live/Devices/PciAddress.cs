namespace OneKvm.Remotes.Live.Devices;

/// <summary>A PCI address (domain:bus:slot.function), compared by value whatever its hex spelling (0x0005, 05, 5).</summary>
internal readonly record struct PciAddress(int Domain, int Bus, int Slot, int Function)
{
    /// <summary>Parses hex values with or without 0x; null when one is missing or not hex.</summary>
    public static PciAddress? Parse(string? domain, string? bus, string? slot, string? function) =>
        Hex(domain) is { } d && Hex(bus) is { } b && Hex(slot) is { } s && Hex(function) is { } f
            ? new PciAddress(d, b, s, f)
            : null;

    public static PciAddress? Of(XElement? address) =>
        address is null
            ? null
            : Parse((string?)address.Attribute("domain"), (string?)address.Attribute("bus"),
                (string?)address.Attribute("slot"), (string?)address.Attribute("function"));

    /// <summary>The name sysfs gives the device: 0000:05:02.0.</summary>
    public override string ToString() => $"{Domain:x4}:{Bus:x2}:{Slot:x2}.{Function:x}";

    public IEnumerable<XAttribute> Attributes() =>
    [
        new("domain", $"0x{Domain:x4}"),
        new("bus", $"0x{Bus:x2}"),
        new("slot", $"0x{Slot:x2}"),
        new("function", $"0x{Function:x}"),
    ];

    private static int? Hex(string? text)
    {
        var value = text?.Trim();
        if (value?.StartsWith("0x", StringComparison.OrdinalIgnoreCase) == true)
        {
            value = value[2..];
        }
        return value is { Length: > 0 and <= 8 } && int.TryParse(value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var n)
            ? n
            : null;
    }
}
