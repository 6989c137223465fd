using OneKvm.Remotes.Live;
using Xunit;
using OneKvm.Remotes.Live.Devices;

namespace OneKvm.Remotes.Specs.Live;

/// <summary>What the actions read from a running domain's XML, parsed instead of grepped.</summary>
public sealed class LiveDomainSpecs
{
    private static readonly LiveDomain Domain = LiveDomain.Parse("one-42", """
        <domain type='kvm' id='3'>
          <name>one-42</name>
          <iothreads>2</iothreads>
          <cpu><numa><cell id='0' cpus='0-1' memory='262144' unit='KiB'/></numa></cpu>
          <devices>
            <disk type='file' device='disk'><source file='/var/lib/one/datastores/0/42/disk.0'/><target dev='vda' bus='virtio'/>
              <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/></disk>
            <disk type='file' device='cdrom'><target dev='hda' bus='ide'/></disk>
            <interface type='ethernet'><mac address='02:00:0a:00:00:05'/><target dev='vnet3'/><alias name='net0'/>
              <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/></interface>
            <controller type='pci' index='1' model='pci-bridge'><alias name='pci.1'/></controller>
            <hostdev mode='subsystem' type='pci' managed='yes'>
              <source><address domain='0x0000' bus='0x01' slot='0x01' function='0x0'/></source></hostdev>
          </devices>
        </domain>
        """);

    [Fact]
    public void Disks_are_found_by_target() =>
        Assert.Equal(["cdrom"], new[] { "hda", "vdb" }.Select(Domain.Disk).OfType<System.Xml.Linq.XElement>().Select(d => (string?)d.Attribute("device")));

    [Fact]
    public void Interfaces_are_found_by_mac_in_any_case()
    {
        Assert.NotNull(Domain.Interface("02:00:0A:00:00:05"));
        Assert.Null(Domain.Interface("02:00:0a:00:00:06"));
    }

    [Fact]
    public void The_iothreads_the_numa_cell_and_the_pci_bridge_are_read()
    {
        Assert.Equal(2, Domain.IoThreads);
        Assert.Equal("0", Domain.FirstNumaCell);
        Assert.True(Domain.HasAlias("pci.1"));
        Assert.False(Domain.HasAlias("pci.2"));
    }

    [Fact]
    public void A_guest_pci_address_is_in_use_by_a_guest_device_not_by_a_passed_through_host_address()
    {
        Assert.True(Domain.UsesGuestPciAddress(new PciAddress(0, 0, 3, 0)));
        Assert.False(Domain.UsesGuestPciAddress(new PciAddress(0, 1, 1, 0)));
    }

    [Fact]
    public void A_domain_without_iothreads_or_numa_has_none() =>
        Assert.Equal((0, (string?)null), (LiveDomain.Parse("d", "<domain><devices/></domain>").IoThreads, LiveDomain.Parse("d", "<domain/>").FirstNumaCell));
}
