using System.Xml;
using System.Xml.Linq;
using OneKvm.Remotes.Errors;

namespace OneKvm.Remotes.Xml;

/// <summary>Parses XML from stdin or virsh without DTDs or external entities.</summary>
internal static class SafeXml
{
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
            using var reader = XmlReader.Create(new StringReader(text), Settings);
            return XDocument.Load(reader, LoadOptions.None);
        }
        catch (XmlException e)
        {
            throw new OneKvmException($"{Capitalized(what)} is not valid XML: {e.Message.TrimEnd('.')}.", e);
        }
    }

    private static string Capitalized(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
