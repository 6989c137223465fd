using System.Xml.Linq;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Specs.Infrastructure;
using Xunit;
using OneKvm.Remotes.Snapshots;

namespace OneKvm.Remotes.Specs.Lifecycle;

public sealed class SnapshotMetadataSpecs : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("onekvm-t-snaps-").FullName;

    [Fact]
    public void Snapshot_files_are_redefined_in_numeric_order_like_ls_v()
    {
        foreach (var name in new[] { "snap-10.xml", "snap-2.xml", "snap-1.xml", "snap-0.xml", "snap-100.xml", "other.xml", "snap-3.txt" })
        {
            File.WriteAllText(Path.Combine(_directory, name), "<domainsnapshot/>");
        }

        var order = SnapshotFiles.InOrder(_directory).Select(Path.GetFileName);

        Assert.Equal(["snap-0.xml", "snap-1.xml", "snap-2.xml", "snap-10.xml", "snap-100.xml"], order);
    }

    [Fact]
    public void A_missing_vm_directory_has_no_snapshots() =>
        Assert.Empty(SnapshotFiles.InOrder(Path.Combine(_directory, "nope")));

    [Theory]
    [InlineData("snap-2", "snap-10", -1)]
    [InlineData("snap-10", "snap-9", 1)]
    [InlineData("snap-02", "snap-2", -1)]
    [InlineData("snap-2", "snap-2", 0)]
    [InlineData("snap-a", "snap-b", -1)]
    [InlineData("snap-1", "snap-1a", -1)]
    public void Natural_order_compares_digit_runs_by_value(string x, string y, int sign) =>
        Assert.Equal(sign, Math.Sign(NaturalOrder.Instance.Compare(x, y)));

    [Fact]
    public void Redefinition_gives_the_snapshot_the_new_domain_uuid_and_changes_nothing_else()
    {
        var snapshot = XElement.Parse("""
            <domainsnapshot>
              <name>snap-1</name>
              <state>running</state>
              <parent><name>snap-0</name></parent>
              <creationTime>1795638310</creationTime>
              <memory snapshot='internal'/>
              <disks><disk name='vda' snapshot='internal'/></disks>
              <domain type='kvm'>
                <name>one-7</name>
                <uuid>d9c299ec-a64d-418e-a929-27e7a42bf2a7</uuid>
                <devices><disk type='file' device='disk'><source file='/var/lib/one//datastores/0/7/disk.0'/></disk></devices>
              </domain>
              <inactiveDomain type='kvm'>
                <name>one-7</name>
                <uuid>d9c299ec-a64d-418e-a929-27e7a42bf2a7</uuid>
              </inactiveDomain>
              <cookie><cpu mode='custom'><model>qemu64</model></cpu></cookie>
            </domainsnapshot>
            """);

        var redefined = SnapshotMetadata.WithDomainUuid(snapshot, "11111111-2222-3333-4444-555555555555");

        Golden.Verify(redefined);
        Assert.Contains("d9c299ec", snapshot.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
