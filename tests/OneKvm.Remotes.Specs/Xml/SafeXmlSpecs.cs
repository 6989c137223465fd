using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Xml;
using Xunit;

namespace OneKvm.Remotes.Specs.Xml;

public sealed class SafeXmlSpecs
{
    private static string Nested(int depth) =>
        "<VMM_DRIVER_ACTION_DATA>" + string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth)) + "</VMM_DRIVER_ACTION_DATA>";

    [Fact]
    public async Task A_document_nested_a_million_levels_deep_is_refused_after_its_first_levels()
    {
        // a hang detector, not a timing goal: the old parse took over a minute here
        var e = await Assert.ThrowsAsync<OneKvmException>(() =>
            Task.Run(() => SafeXml.Parse(Nested(1_000_000), "the action data on stdin")).WaitAsync(TimeSpan.FromSeconds(50)));
        Assert.StartsWith($"The action data on stdin nests elements deeper than {SafeXml.MaxDepth} levels (line 1, position ", e.Message);
    }

    [Fact]
    public void A_document_as_deep_as_the_bound_allows_is_read()
    {
        var document = SafeXml.Parse(Nested(SafeXml.MaxDepth - 1), "x");

        Assert.Equal(SafeXml.MaxDepth, document.Descendants().Count());
    }

    [Theory]
    // found by the snapshot-xml and save-image-xml fuzz targets: System.Xml reads an element named with the
    // prefix xmlns, XLinq keeps it, and writing the document back (snapshot redefinition, save-image-define)
    // threw ArgumentException "Prefix "xmlns" is reserved for use by XML"
    [InlineData("<xmlns:YPEa />", "xmlns:YPEa")]
    [InlineData("<name>one-7 <xmlns:aud id='1' type='none'/>\n</name>", "xmlns:aud")]
    public void An_element_named_with_the_reserved_prefix_xmlns_is_refused_in_a_sentence(string text, string element)
    {
        var e = Assert.Throws<OneKvmException>(() => SafeXml.Parse(text, "the XML of a snapshot"));

        Assert.StartsWith($"The XML of a snapshot is not valid XML: the element <{element}> uses the prefix xmlns", e.Message);
    }
}
