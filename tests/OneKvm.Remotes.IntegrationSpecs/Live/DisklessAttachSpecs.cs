using System.Diagnostics;
using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using Xunit;
using static OneKvm.Remotes.IntegrationSpecs.Live.LiveChecks;

namespace OneKvm.Remotes.IntegrationSpecs.Live;

/// <summary>
/// attach/detach against diskless domains (no guest OS, start in well under a second):
/// SCSI disks, whose unplug QEMU completes without the guest, refused input, failed
/// attaches that must leave nothing behind, and NICs no guest ever releases.
/// </summary>
public sealed class DisklessAttachSpecs
{
    private static readonly XElement ScsiController = new("controller", new XAttribute("type", "scsi"), new XAttribute("model", "virtio-scsi"));

    private static Task<TestDomain> StartAsync(string purpose) =>
        TestDomain.StartAsync(DomainXml.Diskless(TestNames.Domain(purpose)).WithDevice(ScsiController));

    private static string DiskData(int id, params (string Name, object? Value)[] attributes) =>
        VmDocument.Create(id).With(VmDocument.Vector("DISK", [("ATTACH", "YES"), ("DISK_ID", 2), ("TYPE", "FILE"), ("DRIVER", "qcow2"), .. attributes])).ToString();

    [Fact]
    public async Task A_scsi_disk_is_attached_at_the_target_its_letter_names_and_detached_again()
    {
        await using var domain = await StartAsync("scsi");
        using var dir = new Scratch("scsi");
        var image = await QcowAsync(dir.Path, "disk.2", "16M");
        var id = TestNames.OneVmId();
        var data = DiskData(id, ("TARGET", "sdc"), ("TOTAL_IOPS_SEC", 500));

        var attach = await Driver.Staged.RunWithStdinAsync("attach_disk", data, domain.Name, image, "sdc", "2", "b64", $"{id}", "localhost");

        ProtocolAssert.Succeeded(attach);
        var disk = await DiskAsync(domain.Name, "sdc");
        Assert.Equal("2", (string?)disk?.Element("address")?.Attribute("target"));
        Assert.Equal("500", disk?.Element("iotune")?.Element("total_iops_sec")?.Value);
        // the kvmrc of the staged remotes tree: DEFAULT_ATTACH_CACHE=none, DEFAULT_ATTACH_DISCARD=unmap
        Assert.Equal(("none", "unmap"), ((string?)disk?.Element("driver")?.Attribute("cache"), (string?)disk?.Element("driver")?.Attribute("discard")));

        var detach = await Driver.Staged.RunWithStdinAsync("detach_disk", data, domain.Name, image, "sdc", "2", $"{id}", "localhost");

        ProtocolAssert.Succeeded(detach);
        Assert.Null(await DiskAsync(domain.Name, "sdc"));
    }

    [Fact]
    public async Task A_virtio_disk_gets_an_iothread_of_the_domain_and_a_queue_per_vcpu()
    {
        using var dir = new Scratch("iothread");
        var image = await QcowAsync(dir.Path, "disk.3", "16M");
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(TestNames.Domain("iothread")).WithElement(new XElement("iothreads", 2)));
        var data = VmDocument.Create(7).WithTemplateValue("VCPU", 2)
            .With(VmDocument.Vector("DISK", ("ATTACH", "YES"), ("DISK_ID", 3), ("TYPE", "FILE"), ("DRIVER", "qcow2"), ("VIRTIO_BLK_QUEUES", "auto"))).ToString();

        var result = await Driver.Staged.RunWithStdinAsync("attach_disk", data, domain.Name, image, "vdb", "3", "b64", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        var driver = (await DiskAsync(domain.Name, "vdb"))?.Element("driver");
        // DISK_ID 3 of 2 iothreads: 3 % 2 + 1
        Assert.Equal(("2", "2"), ((string?)driver?.Attribute("iothread"), (string?)driver?.Attribute("queues")));
    }

    public static TheoryData<string, string, string> BadDisks => new()
    {
        { "no-attach", VmDocument.Create(7).With(VmDocument.Vector("DISK", ("DISK_ID", 2), ("TARGET", "sdb"))).ToString(), "The action data has no DISK with ATTACH=YES" },
        { "unknown-type", DiskData(7, ("TYPE", "TAPE")), "The DISK being attached has TYPE=\"TAPE\", which is not a disk type onekvm knows" },
        { "iotune-not-a-number", DiskData(7, ("READ_BYTES_SEC", "10MB")), "The DISK being attached has READ_BYTES_SEC=\"10MB\", which is not a whole number." },
        { "missing-image", DiskData(7), "Could not attach " },
    };

    [Theory]
    [MemberData(nameof(BadDisks))]
    public async Task A_disk_that_cannot_be_attached_fails_clearly_and_leaves_nothing_attached(string purpose, string data, string error)
    {
        await using var domain = await StartAsync(purpose);
        var before = await DevicesAsync(domain.Name);

        var result = await Driver.Staged.RunWithStdinAsync("attach_disk", data, domain.Name, "/nonexistent/onekvm-t/disk.2", "sdb", "1", "b64", "7", "localhost");

        Assert.StartsWith(error, ProtocolAssert.Failed(result));
        Assert.Equal(before, await DevicesAsync(domain.Name));
    }

    // a virtio disk's domain is read first (for its iothreads), so onekvm refuses; libvirt refuses the others
    [Theory]
    [InlineData("vdb", "the domain already has disk vdb.")]
    [InlineData("sdb", "target 'sdb' duplicated for disk sources")]
    public async Task A_target_the_domain_already_has_for_another_image_is_refused_without_touching_it(string target, string error)
    {
        using var dir = new Scratch("taken");
        var image = await QcowAsync(dir.Path, "disk.1", "16M");
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(TestNames.Domain("taken")).WithDevice(ScsiController)
            .WithDevice(new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "qcow2")),
                new XElement("source", new XAttribute("file", image)), new XElement("target", new XAttribute("dev", target)))));
        var before = await DevicesAsync(domain.Name);
        // another image: the same one at its target is what a killed attach left, which is attached anew (KilledActionSpecs)
        var other = await QcowAsync(dir.Path, "disk.2", "16M");

        var result = await Driver.Staged.RunWithStdinAsync("attach_disk", DiskData(7, ("TARGET", target)), domain.Name, other, target, "1");

        var failure = ProtocolAssert.Failed(result);
        Assert.StartsWith($"Could not attach {other} ({target}) to {domain.Name}: ", failure);
        Assert.Contains(error, failure);
        Assert.Equal(before, await DevicesAsync(domain.Name));
    }

    // a virsh that attaches and then hangs: killed at VIRSH_TIMEOUT, it leaves libvirt's attach done
    [Fact]
    public async Task An_attach_killed_at_virsh_timeout_is_undone_so_that_nothing_stays_attached()
    {
        await using var domain = await StartAsync("rollback");
        using var dir = new Scratch("rollback");
        var image = await QcowAsync(dir.Path, "disk.2", "16M");
        var wrapper = dir.File("virsh");
        ExecutableFile.Write(wrapper, """
            #!/bin/sh
            for a in "$@"; do
              if [ "$a" = attach-device ]; then /usr/bin/virsh "$@"; exec sleep 600; fi
            done
            exec /usr/bin/virsh "$@"

            """);
        var driver = Driver.Staged.WithPathFirst(dir.Path).WithKvmrc("VIRSH_TIMEOUT=3\nVIRSH_RETRIES=2\n");

        var result = await driver.RunWithStdinAsync("attach_disk", DiskData(7, ("TARGET", "sdd")), domain.Name, image, "sdd", "3", "b64", "7", "localhost");

        var error = ProtocolAssert.Failed(result);
        Assert.StartsWith($"Could not attach {image} (sdd) to {domain.Name}: virsh attach-device did not finish within 3 s", error);
        Assert.Contains(ProtocolAssert.LogLines(result, "WARN"), l => l.Contains("disk sdd is in the domain although the attach failed", StringComparison.Ordinal));
        Assert.Null(await DiskAsync(domain.Name, "sdd"));
    }

    [Fact]
    public async Task A_nic_the_guest_never_releases_is_asked_again_and_fails_clearly_within_the_bound()
    {
        var mac = Mac();
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(TestNames.Domain("stuck-nic"))
            .WithDevice(new XElement("interface", new XAttribute("type", "ethernet"), new XElement("mac", new XAttribute("address", mac)),
                new XElement("model", new XAttribute("type", "virtio")))));
        var driver = Driver.Staged.WithKvmrc("VIRSH_RETRIES=2\n");
        var clock = Stopwatch.StartNew();

        var result = await driver.RunWithStdinAsync("detach_nic", VmDocument.Create(7).ToString(), domain.Name, mac, "7", "localhost");

        clock.Stop();
        var error = ProtocolAssert.Failed(result);
        Assert.Equal($"Could not detach NIC {mac} from {domain.Name}: the guest has not released it after 2 attempts (VIRSH_RETRIES).", error);
        Assert.Contains(ProtocolAssert.LogLines(result, "WARN"), l => l.EndsWith($"NIC {mac} is still attached after attempt 1 of 2; asking again", StringComparison.Ordinal));
        // two requests of libvirt's 5 s each, 3 s of looks after each, and the calls themselves
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(35));
        Assert.NotNull(await InterfaceAsync(domain.Name, mac));
    }

    [Fact]
    public async Task A_nic_is_refused_when_its_mac_carries_shell_metacharacters_and_nothing_is_attached()
    {
        await using var domain = await StartAsync("bad-mac");
        var before = await DevicesAsync(domain.Name);
        var mac = "02:00:00:00:00:01';touch /tmp/onekvm-t-pwned;'";
        var data = VmDocument.Create(7).With(VmDocument.Vector("NIC", ("ATTACH", "YES"), ("MAC", mac))).ToString();

        var result = await Driver.Staged.RunWithStdinAsync("attach_nic", data, domain.Name, mac, "", "-", "dummy", "", "7", "localhost");

        Assert.StartsWith($"The MAC address '{mac}' of the NIC being attached is not valid", ProtocolAssert.Failed(result));
        Assert.Equal(before, await DevicesAsync(domain.Name));
        Assert.False(File.Exists("/tmp/onekvm-t-pwned"));
    }

    public static TheoryData<string, string, string> BadDevices => new()
    {
        { "no-bridge", VmDocument.Create(7).With(VmDocument.Vector("NIC", ("ATTACH", "YES"), ("MAC", "02:6f:6b:00:00:01"),
            ("BRIDGE", "onekvm-t-nobr"))).ToString(), "Could not attach NIC 02:6f:6b:00:00:01 to " },
        { "no-pci-device", VmDocument.Create(7).With(VmDocument.Vector("PCI", ("ATTACH", "YES"), ("DOMAIN", "0000"), ("BUS", "7f"),
            ("SLOT", "1f"), ("FUNCTION", "7"), ("VM_DOMAIN", "0x0000"), ("VM_BUS", "0x0001"), ("VM_SLOT", "0x0005"), ("VM_FUNCTION", "0"))).ToString(),
            "Could not attach PCI device 0000:7f:1f.7 to " },
    };

    [Theory]
    [MemberData(nameof(BadDevices))]
    public async Task A_nic_or_pci_device_libvirt_cannot_attach_fails_clearly_and_leaves_nothing_attached(string purpose, string data, string error)
    {
        await using var domain = await StartAsync(purpose);
        var before = await DevicesAsync(domain.Name);

        var result = await Driver.Staged.RunWithStdinAsync("attach_nic", data, domain.Name, "02:6f:6b:00:00:01", "", "-", "bridge", "", "7", "localhost");

        Assert.StartsWith(error + domain.Name + ": ", ProtocolAssert.Failed(result));
        Assert.Equal(before, await DevicesAsync(domain.Name));
    }

    [Fact]
    public async Task Detaching_a_pci_device_that_is_not_attached_succeeds()
    {
        await using var domain = await StartAsync("pci-gone");
        var data = VmDocument.Create(7).With(VmDocument.Vector("PCI", ("ATTACH", "YES"), ("DOMAIN", "0000"), ("BUS", "7f"), ("SLOT", "1f"),
            ("FUNCTION", "7"))).ToString();

        var result = await Driver.Staged.RunWithStdinAsync("detach_nic", data, domain.Name, "", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.EndsWith($"PCI device 0000:7f:1f.7 is not attached to {domain.Name}; nothing to detach", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_nic_whose_mac_the_domain_already_has_is_refused()
    {
        var mac = Mac();
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(TestNames.Domain("dup-mac"))
            .WithDevice(new XElement("interface", new XAttribute("type", "ethernet"), new XElement("mac", new XAttribute("address", mac)))));
        var data = VmDocument.Create(7).With(VmDocument.Vector("NIC", ("ATTACH", "YES"), ("MAC", mac))).ToString();

        var result = await Driver.Staged.RunWithStdinAsync("attach_nic", data, domain.Name, mac, "", "-", "dummy", "", "7", "localhost");

        Assert.Equal($"Could not attach NIC {mac} to {domain.Name}: the domain already has NIC {mac}.", ProtocolAssert.Failed(result));
        Assert.Single((await DomainAsync(domain.Name)).Element("devices")!.Elements("interface"));
    }
}
