using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Kvmrc;
using OneKvm.Remotes.Specs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using Xunit;
using static OneKvm.Remotes.Specs.Live.LiveKit;

namespace OneKvm.Remotes.Specs.Live;

/// <summary>The &lt;disk&gt; of attach_disk for each family of DISK attributes, as golden files.</summary>
public sealed class DiskXmlSpecs
{
    private static readonly VmDocument Vm = VmDocument.Create(42);

    [Fact]
    public void A_qcow2_image_gets_the_shipped_kvmrc_cache_and_discard() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "FILE"), ("DRIVER", "qcow2"), ("TARGET", "vdb"))), ShippedAttachDefaults));

    [Fact]
    public void A_disk_that_sets_nothing_is_raw_with_libvirts_default_cache() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TARGET", "vdb")))));

    [Fact]
    public void A_disk_link_in_the_system_datastore_is_attached_as_the_image_it_points_to()
    {
        var dir = Directory.CreateTempSubdirectory("onekvm-t-disklink-");
        try
        {
            var image = Path.Combine(dir.FullName, "image.qcow2");
            File.WriteAllText(image, "");
            File.CreateSymbolicLink(Path.Combine(dir.FullName, "disk.1"), "image.qcow2");

            var xml = DiskXml(Vm.With(Disk(("TYPE", "FILE"), ("DRIVER", "qcow2"))), path: Path.Combine(dir.FullName, "disk.1"));

            Assert.Equal(image, (string?)xml.Element("source")?.Attribute("file"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_block_disk_is_a_device_source() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "BLOCK"), ("DRIVER", "raw"))), path: "/dev/vg-one/lv-one-42-1"));

    [Fact]
    public void A_cdrom_is_read_as_raw_whatever_its_driver_says() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "CDROM"), ("DRIVER", "qcow2"), ("READONLY", "YES"))), target: "hdb"));

    [Fact]
    public void A_cdrom_on_a_block_datastore_is_a_device_cdrom() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "CDROM"), ("DISK_TYPE", "BLOCK"))), path: "/dev/sr0", target: "sdc"));

    [Fact]
    public void A_block_cdrom_is_a_device_cdrom() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "BLOCK_CDROM"))), path: "/dev/sr1", target: "hdc"));

    [Fact]
    public void A_ceph_clone_is_the_vms_own_rbd_image_with_every_monitor_and_the_cephx_secret() =>
        Golden.Verify(DiskXml(Vm.With(Disk(
            ("TYPE", "RBD"), ("DRIVER", "raw"), ("SOURCE", "one/one-7"), ("CLONE", "YES"), ("DISK_ID", 3),
            ("CEPH_HOST", "mon1 mon2:6790 [2001:db8::5]:3300"), ("CEPH_USER", "oneadmin"),
            ("CEPH_SECRET", "d5fa3e3a-57ae-4e1c-8a4e-2d6e3b0bb29f")))));

    [Fact]
    public void A_persistent_ceph_image_is_used_by_its_own_name() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "RBD"), ("SOURCE", "one/one-7"), ("CLONE", "NO"), ("CEPH_HOST", "mon1")))));

    [Fact]
    public void A_ceph_cdrom_is_an_rbd_cdrom() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "RBD_CDROM"), ("SOURCE", "one/one-9"), ("CEPH_HOST", "mon1"))), target: "sda"));

    [Fact]
    public void A_volatile_disk_on_a_ceph_system_datastore_is_an_rbd_image_of_the_vm() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "FS"), ("DISK_TYPE", "RBD"), ("POOL_NAME", "sys"), ("DISK_ID", 4),
            ("CEPH_HOST", "mon1"), ("CEPH_USER", "oneadmin"), ("CEPH_SECRET", "d5fa3e3a-57ae-4e1c-8a4e-2d6e3b0bb29f")))));

    [Fact]
    public void A_volatile_ceph_disk_without_an_image_uses_the_default_pool() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "RBD"), ("DISK_ID", 5), ("CEPH_HOST", "mon1")))));

    [Fact]
    public void An_iscsi_lun_is_named_by_its_iqn_with_chap_authentication() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "ISCSI"), ("SOURCE", "ignored-when-iqn-is-set"),
            ("ISCSI_IQN", "iqn.2014-01.io.opennebula:target/1"), ("ISCSI_HOST", "10.0.0.20:3260"),
            ("ISCSI_USER", "chap-user"), ("ISCSI_USAGE", "one-iscsi")))));

    [Fact]
    public void A_gluster_clone_is_the_vms_disk_file_in_the_volume() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "GLUSTER"), ("GLUSTER_VOLUME", "gv0"), ("GLUSTER_HOST", "gl1:24007 gl2"),
            ("CLONE", "YES"), ("DISK_ID", 2), ("SOURCE", "/var/lib/one/datastores/100/9f2c")))));

    [Fact]
    public void A_persistent_gluster_image_is_its_file_in_the_volume() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "GLUSTER_CDROM"), ("GLUSTER_VOLUME", "gv0"), ("GLUSTER_HOST", "gl1"),
            ("SOURCE", "/var/lib/one/datastores/100/9f2c")))));

    [Fact]
    public void A_sheepdog_clone_and_a_sheepdog_datastore_disk_are_sheepdog_network_disks()
    {
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "SHEEPDOG"), ("SOURCE", "one-5"), ("CLONE", "YES"), ("SHEEPDOG_HOST", "sd1:7000")))),
            "clone");
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "FILE"), ("DISK_TYPE", "SHEEPDOG_CDROM"), ("SOURCE", "one-6"), ("SHEEPDOG_HOST", "sd1")))),
            "datastore");
    }

    [Fact]
    public void The_disks_own_cache_io_discard_readonly_shareable_order_and_serial_are_written() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "FILE"), ("DRIVER", "qcow2"), ("CACHE", "writeback"), ("IO", "native"),
            ("DISCARD", "ignore"), ("READONLY", "yes"), ("SHAREABLE", "YES"), ("ORDER", 2),
            ("SERIAL", "SN 42/a'b\"c;d$(x)-1.2_3"))), ShippedAttachDefaults));

    [Fact]
    public void A_luks_disk_names_its_passphrase_secret() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "FILE"), ("LUKS_SECRET", "6d2b8e0f-3a0c-4c43-9d3c-5d1a0b1f3e21")))));

    [Fact]
    public void The_whole_iotune_family_is_written_with_bursts_above_their_rates() =>
        Golden.Verify(DiskXml(Vm.With(Disk(
            ("READ_BYTES_SEC", 1000), ("READ_BYTES_SEC_MAX", 2000), ("READ_BYTES_SEC_MAX_LENGTH", 10),
            ("WRITE_BYTES_SEC", 3000), ("WRITE_BYTES_SEC_MAX", 3000), ("WRITE_BYTES_SEC_MAX_LENGTH", 11),
            ("TOTAL_IOPS_SEC", 100), ("TOTAL_IOPS_SEC_MAX", 500), ("TOTAL_IOPS_SEC_MAX_LENGTH", 5),
            ("READ_IOPS_SEC", 7), ("SIZE_IOPS_SEC", 4096)))));

    [Fact]
    public void Every_kvmrc_attach_default_fills_what_the_disk_lacks()
    {
        var kvmrc = string.Join('\n',
            "DEFAULT_ATTACH_CACHE=writethrough", "DEFAULT_ATTACH_DISCARD=unmap", "DEFAULT_ATTACH_IO=io_uring",
            "DEFAULT_ATTACH_VIRTIO_BLK_QUEUES=auto", "DEFAULT_ATTACH_VIRTIO_BLK_IOTHREAD=0",
            string.Join('\n', KvmrcParameters.IoTuneAttributes.Select((a, i) => $"DEFAULT_ATTACH_{a}={(i + 1) * 100}")));

        Golden.Verify(DiskXml(Vm.WithTemplateValue("VCPU", 4).With(Disk(("TYPE", "FILE"), ("DRIVER", "qcow2"), ("DISK_ID", 6))),
            kvmrc, domainIoThreads: 4));
    }

    [Fact]
    public void The_disks_own_values_win_over_the_kvmrc_defaults()
    {
        var kvmrc = "DEFAULT_ATTACH_CACHE=writethrough\nDEFAULT_ATTACH_DISCARD=unmap\nDEFAULT_ATTACH_IO=io_uring\n"
            + "DEFAULT_ATTACH_VIRTIO_BLK_QUEUES=8\nDEFAULT_ATTACH_VIRTIO_BLK_IOTHREAD=1\nDEFAULT_ATTACH_TOTAL_BYTES_SEC=5000\n";

        Golden.Verify(DiskXml(Vm.With(Disk(("CACHE", "none"), ("DISCARD", "ignore"), ("IO", "threads"), ("VIRTIO_BLK_QUEUES", 2),
            ("IOTHREAD", 3), ("READ_BYTES_SEC", 700))), kvmrc, domainIoThreads: 4));
    }

    [Fact]
    public void Virtio_blk_queues_follow_the_vcpus_and_the_iothread_is_picked_from_the_disk_id() =>
        Golden.Verify(DiskXml(Vm.WithTemplateValue("VCPU", 3)
                .With(VmDocument.Vector("FEATURES", ("VIRTIO_BLK_QUEUES", "auto")), Disk(("DISK_ID", 5))),
            domainIoThreads: 2));

    [Fact]
    public void A_scsi_disk_gets_the_drive_address_its_target_letter_names() =>
        Golden.Verify(DiskXml(Vm.With(Disk(("TYPE", "FILE"), ("DRIVER", "qcow2"), ("VIRTIO_BLK_QUEUES", 4), ("IOTHREAD", 1))),
            target: "sdc", domainIoThreads: 2));

    [Fact]
    public void An_unknown_disk_type_is_refused_by_name()
    {
        var e = Assert.Throws<OneKvmException>(() => DiskXml(Vm.With(Disk(("TYPE", "FLOPPY")))));

        Assert.StartsWith("The DISK being attached has TYPE=\"FLOPPY\", which is not a disk type onekvm knows (FILE, BLOCK, CDROM", e.Message);
    }

    [Fact]
    public void A_filesystem_disk_cannot_be_hot_plugged()
    {
        var e = Assert.Throws<OneKvmException>(() => DiskXml(Vm.With(Disk(("TYPE", "FILESYSTEM")))));

        Assert.Contains("FILESYSTEM disk", e.Message);
    }

    [Theory]
    [InlineData("TOTAL_BYTES_SEC", "fast")]
    [InlineData("READ_IOPS_SEC_MAX", "-5")]
    [InlineData("SIZE_IOPS_SEC", "4k")]
    [InlineData("ORDER", "0")]
    [InlineData("IOTHREAD", "one")]
    [InlineData("VIRTIO_BLK_QUEUES", "many")]
    public void A_number_that_is_not_one_is_refused_naming_the_attribute(string attribute, string value)
    {
        var e = Assert.Throws<OneKvmException>(() => DiskXml(Vm.With(Disk((attribute, value))), domainIoThreads: 2));

        Assert.Equal($"The DISK being attached has {attribute}=\"{value}\", which is not a whole number{(attribute is "ORDER" or "VIRTIO_BLK_QUEUES" ? " of 1 or more" : "")}.", e.Message);
    }

    [Fact]
    public void A_kvmrc_cache_mode_onekvm_does_not_know_is_written_for_libvirt_to_judge_as_upstream_does()
    {
        var xml = DiskXml(Vm.With(Disk()), "DEFAULT_ATTACH_CACHE=fastest\n");

        Assert.Equal("fastest", (string?)xml.Element("driver")!.Attribute("cache"));
    }

    [Theory]
    [InlineData("GLUSTER", "GLUSTER_VOLUME")]
    [InlineData("SHEEPDOG", "SOURCE")]
    [InlineData("ISCSI", "ISCSI_IQN or SOURCE")]
    public void A_network_disk_without_what_its_source_is_made_of_is_refused(string type, string missing)
    {
        var e = Assert.Throws<OneKvmException>(() => DiskXml(Vm.With(Disk(("TYPE", type)))));

        Assert.Equal($"The DISK being attached (a {type} disk) has no {missing}, which its source is made of.", e.Message);
    }
}
