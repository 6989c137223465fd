namespace OneKvm.Remotes.Live.Devices;

/// <summary>Pieces of libvirt XML that may be absent: XElement drops null content, so an unset value writes nothing.</summary>
internal static class XmlParts
{
    public static XAttribute? Attribute(string name, object? value) => value is null ? null : new XAttribute(name, value);
}
