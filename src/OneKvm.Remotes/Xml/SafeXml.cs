using System.Xml;

namespace OneKvm.Remotes.Xml;

/// <summary>
/// Parses XML from stdin or virsh without DTDs or external entities, and no deeper than
/// <see cref="MaxDepth"/> levels: System.Xml's time grows with the square of the nesting depth
/// (40,000 levels took 2.5 s, a million over a minute), so a deeper document is refused after
/// reading its first <see cref="MaxDepth"/> levels, before it is built.
/// </summary>
internal static class SafeXml
{
    /// <summary>
    /// A libvirt domain XML nests under 20 levels, the action data (VMM_DRIVER_ACTION_DATA/VM/TEMPLATE/...)
    /// under 10 plus whatever a user puts in a template's free-form vectors; 256 leaves room for that
    /// and costs nothing measurable.
    /// </summary>
    public const int MaxDepth = 256;

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
    };

    /// <param name="what">What the text is, for the error sentence ("the action data on stdin").</param>
    public static XDocument Parse(string text, string what)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new OneKvmException($"Expected {what}, but it is empty.");
        }
        try
        {
            CheckDepth(text, what);
            using var reader = XmlReader.Create(new StringReader(text), Settings);
            return XDocument.Load(reader, LoadOptions.None);
        }
        catch (XmlException e)
        {
            throw new OneKvmException($"{Capitalized(what)} is not valid XML: {e.Message.TrimEnd('.')}.", e);
        }
    }

    /// <summary>One pass over the nodes that stops at the first one deeper than <see cref="MaxDepth"/> or named with the prefix xmlns.</summary>
    private static void CheckDepth(string text, string what)
    {
        using var reader = XmlReader.Create(new StringReader(text), Settings);
        while (reader.Read())
        {
            if (reader.Depth >= MaxDepth)
            {
                throw new OneKvmException($"{Capitalized(what)} nests elements deeper than {MaxDepth} levels{At(reader)}; no such document is expected.");
            }
            // System.Xml reads <xmlns:x/> but cannot write it back (ArgumentException): refuse it as the namespace rules do
            if (reader.NodeType == XmlNodeType.Element && reader.Prefix == "xmlns")
            {
                throw new OneKvmException(
                    $"{Capitalized(what)} is not valid XML: the element <{reader.Name}> uses the prefix xmlns, which only declares namespaces{At(reader)}.");
            }
        }
    }

    private static string At(XmlReader reader) =>
        reader is IXmlLineInfo info ? $" (line {info.LineNumber}, position {info.LinePosition})" : "";

    private static string Capitalized(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
