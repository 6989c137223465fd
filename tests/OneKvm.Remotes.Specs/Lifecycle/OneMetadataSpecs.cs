using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Lifecycle;
using Xunit;
using OneKvm.Remotes.Xml;

namespace OneKvm.Remotes.Specs.Lifecycle;

public sealed class OneMetadataSpecs
{
    [Theory]
    // what libvirt 9 prints for `virsh metadata ... --key one`: the namespace is gone
    [InlineData("<vm>\n  <system_datastore><![CDATA[/var/lib/one//datastores/0/7]]></system_datastore>\n  <name>x</name>\n</vm>")]
    [InlineData("<one:vm xmlns:one=\"http://opennebula.org/xmlns/libvirt/1.0\"><one:system_datastore>/var/lib/one//datastores/0/7</one:system_datastore></one:vm>")]
    [InlineData("<vm><system_datastore>\n   /var/lib/one//datastores/0/7\n</system_datastore></vm>")]
    public void The_system_datastore_is_read_by_local_name(string xml) =>
        Assert.Equal("/var/lib/one//datastores/0/7", OneMetadata.SystemDatastore(xml));

    [Theory]
    [InlineData("")]
    [InlineData("<vm><name>x</name></vm>")]
    [InlineData("<vm><system_datastore/></vm>")]
    public void Metadata_without_it_has_none(string xml) => Assert.Null(OneMetadata.SystemDatastore(xml));

    [Fact]
    public void Metadata_that_is_not_xml_is_a_clear_error() =>
        Assert.StartsWith("The OpenNebula metadata of the domain is not valid XML",
            Assert.Throws<OneKvmException>(() => OneMetadata.SystemDatastore("<vm>")).Message);
}
