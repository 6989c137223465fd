using System.Xml.Linq;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Specs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using Xunit;
using static OneKvm.Remotes.Specs.Live.LiveKit;
using OneKvm.Remotes.Live.Devices;

namespace OneKvm.Remotes.Specs.Live;

/// <summary>The &lt;interface&gt; and &lt;hostdev&gt; of attach_nic for each family of NIC and PCI attributes, as golden files.</summary>
public sealed class NicXmlSpecs
{
    private static readonly VmDocument Vm = VmDocument.Create(42);

    [Fact]
    public void A_linux_bridge_nic_gets_the_kvmrc_model() =>
        Golden.Verify(NicXml(Vm.With(Nic(("BRIDGE", "onebr0"), ("BRIDGE_TYPE", "linux"), ("TARGET", "one-42-1"), ("VN_MAD", "bridge"))),
            ShippedAttachDefaults));

    [Fact]
    public void An_open_vswitch_nic_is_a_bridge_with_an_openvswitch_virtualport() =>
        Golden.Verify(NicXml(Vm.With(Nic(("BRIDGE", "ovsbr0"), ("BRIDGE_TYPE", "openvswitch"), ("TARGET", "one-42-1"), ("MODEL", "e1000")))));

    [Fact]
    public void An_ovs_dpdk_nic_is_a_vhost_user_socket_named_after_its_target() =>
        Golden.Verify(NicXml(Vm.With(Nic(("BRIDGE", "ovsbr0"), ("BRIDGE_TYPE", "openvswitch_dpdk"), ("TARGET", "one-42-1"))),
            ShippedAttachDefaults));

    [Fact]
    public void A_nic_without_a_bridge_or_in_dummy_mode_is_an_ethernet_tap_with_its_script()
    {
        Golden.Verify(NicXml(Vm.With(Nic(("TARGET", "one-42-1"), ("SCRIPT", "/var/lib/one/remotes/vnm/up.sh"), ("ORDER", 3)))), "no-bridge");
        Golden.Verify(NicXml(Vm.With(Nic(("BRIDGE", "onebr0"), ("NETWORK_MODE", "DUMMY"), ("TARGET", "one-42-1")))), "dummy");
    }

    [Fact]
    public void Virtio_queues_auto_are_one_per_vcpu_and_only_for_virtio() =>
        Golden.Verify(NicXml(Vm.WithTemplateValue("VCPU", 4).With(Nic(("BRIDGE", "onebr0"), ("MODEL", "virtio"), ("VIRTIO_QUEUES", "auto")))));

    [Fact]
    public void Queues_of_a_model_that_is_not_virtio_are_left_out() =>
        Assert.Null(NicXml(Vm.With(Nic(("BRIDGE", "onebr0"), ("MODEL", "e1000"), ("VIRTIO_QUEUES", 4)))).Element("driver"));

    [Fact]
    public void The_kvmrc_filter_guards_the_ip_and_the_virtual_router_ip() =>
        Golden.Verify(NicXml(Vm.With(Nic(("BRIDGE", "onebr0"), ("IP", "10.0.0.5"), ("VROUTER_IP", "10.0.0.1"))),
            ShippedAttachDefaults + "DEFAULT_ATTACH_NIC_FILTER=clean-traffic\n"));

    [Fact]
    public void A_filter_needs_an_ip_to_guard() =>
        Assert.Null(NicXml(Vm.With(Nic(("BRIDGE", "onebr0"), ("FILTER", "clean-traffic")))).Element("filterref"));

    [Fact]
    public void The_nics_own_model_and_filter_win_over_kvmrc() =>
        Golden.Verify(NicXml(Vm.With(Nic(("BRIDGE", "onebr0"), ("MODEL", "rtl8139"), ("FILTER", "no-ip-spoofing"), ("IP", "10.0.0.5"))),
            "DEFAULT_ATTACH_NIC_MODEL=virtio\nDEFAULT_ATTACH_NIC_FILTER=clean-traffic\n"));

    [Fact]
    public void Inbound_and_outbound_bandwidth_limits_are_written_as_given() =>
        Golden.Verify(NicXml(Vm.With(Nic(("BRIDGE", "onebr0"), ("INBOUND_AVG_BW", 1000), ("INBOUND_PEAK_BW", 2000), ("INBOUND_PEAK_KB", 512),
            ("OUTBOUND_AVG_BW", 800)))));

    [Theory]
    [InlineData("02:00:0a:00:00:05;reboot")]
    [InlineData("$(reboot)")]
    [InlineData("02:00:0a:00:00:0g")]
    [InlineData("02-00-0a-00-00-05")]
    [InlineData("02:00:0a:00:00:5")]
    [InlineData("")]
    public void A_mac_that_is_not_six_hex_pairs_is_refused(string mac)
    {
        var e = Assert.Throws<OneKvmException>(() => NicXml(Vm.With(VmDocument.Vector("NIC", ("ATTACH", "YES"), ("MAC", mac), ("BRIDGE", "br0")))));

        Assert.StartsWith("The MAC address '", e.Message);
        Assert.EndsWith("is not valid: expected six pairs of hex digits such as 02:00:c0:a8:01:05.", e.Message);
    }

    [Theory]
    [InlineData("INBOUND_AVG_BW", "fast")]
    [InlineData("ORDER", "first")]
    [InlineData("VIRTIO_QUEUES", "0")]
    public void A_nic_number_that_is_not_one_is_refused(string attribute, string value)
    {
        var e = Assert.Throws<OneKvmException>(() => NicXml(Vm.With(Nic(("BRIDGE", "br0"), (attribute, value)))));

        Assert.StartsWith($"The NIC being attached has {attribute}=\"{value}\", which is not a whole number", e.Message);
    }

    [Fact]
    public void A_whole_pci_device_is_a_managed_hostdev() =>
        Golden.Verify(Pci().ToXml(virtualFunction: false, guestAddressUsable: false));

    [Fact]
    public void A_pci_device_keeps_its_guest_address_where_the_domain_can_take_it() =>
        Golden.Verify(Pci().ToXml(virtualFunction: false, guestAddressUsable: true));

    [Fact]
    public void An_sr_iov_virtual_function_is_a_hostdev_interface() =>
        Golden.Verify(Pci().ToXml(virtualFunction: true, guestAddressUsable: true));

    [Fact]
    public void A_mediated_device_is_attached_by_uuid_and_an_nvidia_vgpu_as_an_unmanaged_hostdev()
    {
        Golden.Verify(Pci(("UUID", "c2177883-f1bb-47f0-914d-32a22e3a8804")).ToXml(false, false), "legacy");
        Golden.Verify(Pci(("UUID", "c2177883-f1bb-47f0-914d-32a22e3a8804"), ("MDEV_MODE", "nvidia")).ToXml(false, false), "nvidia");
    }

    [Fact]
    public void A_virtual_function_is_told_by_its_physfn_link_in_sysfs()
    {
        var sysfs = Directory.CreateTempSubdirectory("onekvm-t-sysfs-");
        try
        {
            Directory.CreateDirectory(Path.Combine(sysfs.FullName, "0000:05:02.0"));
            Assert.False(Pci().IsVirtualFunction(sysfs.FullName));

            File.CreateSymbolicLink(Path.Combine(sysfs.FullName, "0000:05:02.0", "physfn"), "../0000:05:00.0");
            Assert.True(Pci().IsVirtualFunction(sysfs.FullName));
        }
        finally
        {
            sysfs.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_pci_device_is_found_in_the_domain_by_its_host_address_however_it_is_spelled()
    {
        XElement[] devices =
        [
            XElement.Parse("<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x05' slot='0x03' function='0x0'/></source></hostdev>"),
            XElement.Parse("<interface type='hostdev'><source><address type='pci' domain='0x0000' bus='0x05' slot='0x02' function='0x0'/></source></interface>"),
        ];

        Assert.Same(devices[1], Pci().FindIn(devices));
        Assert.Null(Pci(("UUID", "c2177883-f1bb-47f0-914d-32a22e3a8804")).FindIn(devices));
    }

    [Fact]
    public void A_pci_device_without_an_address_or_uuid_is_refused()
    {
        var e = Assert.Throws<OneKvmException>(() => PciDefinition.Read(VmDocument.Vector("PCI", ("ATTACH", "YES"), ("BUS", "zz")), "the PCI device being attached"));

        Assert.Equal("The PCI device being attached has no valid DOMAIN, BUS, SLOT and FUNCTION (hex numbers) nor a UUID.", e.Message);
    }

    private static PciDefinition Pci(params (string Name, object? Value)[] extra)
    {
        var data = Parse(Vm.With(VmDocument.Vector("PCI",
        [
            ("ATTACH", "YES"), ("PCI_ID", 0), ("DOMAIN", "0000"), ("BUS", "05"), ("SLOT", "02"), ("FUNCTION", "0"),
            ("ADDRESS", "0000:05:02.0"), ("SHORT_ADDRESS", "05:02.0"), ("VENDOR", "8086"), ("DEVICE", "10ed"), ("CLASS", "0200"),
            ("VM_DOMAIN", "0x0000"), ("VM_BUS", "0x0001"), ("VM_SLOT", "0x0001"), ("VM_FUNCTION", "0"), .. extra,
        ])));
        return PciDefinition.Read(data.Attaching("PCI")!, "the PCI device being attached");
    }
}
