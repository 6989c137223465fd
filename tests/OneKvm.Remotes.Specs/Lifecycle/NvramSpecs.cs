using System.Xml.Linq;
using OneKvm.Remotes.Lifecycle;
using Xunit;
using OneKvm.Remotes.Host;

namespace OneKvm.Remotes.Specs.Lifecycle;

public sealed class NvramSpecs
{
    [Theory]
    [InlineData("<domain><os><nvram>/d/7_VARS.fd</nvram></os></domain>", "/d/7_VARS.fd", "raw")]
    [InlineData("<domain><os><nvram format='qcow2'>/d/7_VARS.qcow2</nvram></os></domain>", "/d/7_VARS.qcow2", "qcow2")]
    [InlineData("<domain><os><nvram format=''> /d/x.fd </nvram></os></domain>", "/d/x.fd", "raw")]
    [InlineData("<domain><os><nvram type='file'><source file='/d/y.fd'/></nvram></os></domain>", "/d/y.fd", "raw")]
    public void The_nvram_file_and_format_come_from_the_os_element(string xml, string path, string format) =>
        Assert.Equal((path, format), Nvram.Requested(XElement.Parse(xml)));

    [Theory]
    [InlineData("<domain><os><type>hvm</type></os></domain>")]
    [InlineData("<domain><os><nvram/></os></domain>")]
    [InlineData("<domain/>")]
    public void A_domain_without_an_nvram_file_needs_nothing(string xml) =>
        Assert.Null(Nvram.Requested(XElement.Parse(xml)));

    [Fact]
    public void The_format_is_the_top_level_one_of_qemu_img_info()
    {
        const string json = """
            { "children": [ { "name": "file", "info": { "format": "file" } } ],
              "virtual-size": 540672, "filename": "/x", "format": "qcow2",
              "format-specific": { "type": "qcow2", "data": { "compat": "1.1" } } }
            """;

        Assert.Equal("qcow2", QemuImg.FormatOf(json));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"format\": 3}")]
    public void Unreadable_qemu_img_output_has_no_format(string json) =>
        Assert.Null(QemuImg.FormatOf(json));
}
