using System.Xml.Linq;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Specs.Infrastructure;
using Xunit;
using OneKvm.Remotes.Checkpoints;

namespace OneKvm.Remotes.Specs.Lifecycle;

/// <summary>Restore after a system datastore migration: the checkpoint is now in datastore 104, the XML says 0.</summary>
public sealed class DatastorePathRewriterSpecs
{
    private static readonly DatastorePathRewriter Rewriter =
        new(CheckpointLocation.Of("/var/lib/one//datastores/104/7/checkpoint"), "7");

    [Theory]
    [InlineData("/var/lib/one//datastores/0/7/disk.0", "/var/lib/one//datastores/104/7/disk.0")]
    [InlineData("/var/lib/one/datastores/0/7/disk.0", "/var/lib/one//datastores/104/7/disk.0")]
    [InlineData("/var/lib/one//datastores/104/7/disk.1", "/var/lib/one//datastores/104/7/disk.1")]
    [InlineData("file=/var/lib/one//datastores/0/7/disk.0,if=none", "file=/var/lib/one//datastores/104/7/disk.0,if=none")]
    [InlineData("/var/lib/one//datastores/0/7/a /var/lib/one//datastores/1/7/b", "/var/lib/one//datastores/104/7/a /var/lib/one//datastores/104/7/b")]
    public void Paths_into_the_vm_directory_of_any_datastore_move_to_the_checkpoint_datastore(string value, string expected) =>
        Assert.Equal(expected, Rewriter.Rewrite(value));

    [Fact]
    public void The_vm_directory_itself_follows_the_migration_unlike_upstream_sed_which_needs_a_trailing_slash() =>
        Assert.Equal("/var/lib/one//datastores/104/7", Rewriter.Rewrite("/var/lib/one//datastores/0/7"));

    [Theory]
    [InlineData("/var/lib/one//datastores/0/77/disk.0")] // another VM whose id starts the same
    [InlineData("/var/lib/one//datastores/0/8/disk.0")] // another VM
    [InlineData("/var/lib/one//datastores/x/7/disk.0")] // not a datastore id
    [InlineData("/var/lib/one//datastores//7/disk.0")] // no datastore id at all
    [InlineData("/var/lib/one//images/0/7/disk.0")] // not the datastores directory
    [InlineData("/var/lib/one//datastores/0/7.bak")]
    [InlineData("")]
    public void Anything_else_is_left_alone(string value) =>
        Assert.Same(value, Rewriter.Rewrite(value));

    [Fact]
    public void A_saved_domain_is_rewritten_in_its_values_only()
    {
        var saved = XElement.Parse("""
            <domain type='kvm'>
              <name>one-7</name>
              <uuid>0f3c3a2e-5d4f-4c1a-9a43-3f3b8d1c2e01</uuid>
              <metadata>
                <one:vm xmlns:one="http://opennebula.org/xmlns/libvirt/1.0">
                  <one:system_datastore><![CDATA[/var/lib/one//datastores/0/7]]></one:system_datastore>
                </one:vm>
              </metadata>
              <os>
                <type arch='x86_64' machine='pc'>hvm</type>
                <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
                <nvram>/var/lib/one/datastores/0/7/7_VARS.fd</nvram>
              </os>
              <devices>
                <disk type='file' device='disk'>
                  <source file='/var/lib/one//datastores/0/7/disk.0'/>
                  <target dev='vda' bus='virtio'/>
                </disk>
                <disk type='file' device='cdrom'>
                  <source file='/var/lib/one//datastores/0/7/disk.1'/>
                  <target dev='hda' bus='ide'/>
                </disk>
                <disk type='file' device='disk'>
                  <source file='/var/lib/one//datastores/0/77/disk.0'/>
                  <target dev='vdb' bus='virtio'/>
                </disk>
                <serial type='file'><source path='/var/lib/one//datastores/0/7/serial.log'/></serial>
              </devices>
            </domain>
            """);

        var changed = Rewriter.Rewrite(saved);

        Assert.Equal(5, changed);
        Golden.Verify(saved);
    }
}
