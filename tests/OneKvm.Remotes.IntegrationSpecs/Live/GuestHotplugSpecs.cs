using System.Text.RegularExpressions;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using Xunit;
using static OneKvm.Remotes.IntegrationSpecs.Live.LiveChecks;

namespace OneKvm.Remotes.IntegrationSpecs.Live;

/// <summary>
/// Disks and NICs hot-plugged into the tiny Linux guest through the staged entries:
/// the guest's console says when it sees a device come, grow and go, and the domain
/// XML says what libvirt has.
/// </summary>
public sealed class GuestHotplugSpecs(TinyGuest guest) : IClassFixture<TinyGuest>
{
    private static VmDocument Vm(int id) => VmDocument.Create(id);

    [Fact]
    public async Task A_qcow2_disk_is_attached_grown_and_detached_and_the_guest_sees_each_step()
    {
        using var dir = new Scratch("disk");
        var image = await QcowAsync(dir.Path, "image.qcow2", "32M");
        var link = dir.File("disk.1");
        File.CreateSymbolicLink(link, image);
        var id = TestNames.OneVmId();
        var data = Vm(id).With(VmDocument.Vector("DISK", ("ATTACH", "YES"), ("DISK_ID", 1), ("TARGET", "vdb"), ("TYPE", "FILE"),
            ("DRIVER", "qcow2"), ("SERIAL", "onekvm-test"))).ToString();
        var added = Count(guest, @"ONEKVM-GUEST-BLK-ADD vd[a-z]+ ");

        var attach = await Driver.Staged.RunWithStdinAsync("attach_disk", data, guest.Name, link, "vdb", "1", "b64-ignored", $"{id}", "localhost");

        ProtocolAssert.Succeeded(attach);
        Assert.Equal(image, (string?)(await DiskAsync(guest.Name, "vdb"))?.Element("source")?.Attribute("file"));
        // the guest names its disks in the order it finds them: libvirt's vdb is its first
        var seen = await WaitForNewLineAsync(guest, @"ONEKVM-GUEST-BLK-ADD (vd[a-z]+) (\d+)", added);
        var name = seen.Groups[1].Value;
        Assert.Equal("65536", seen.Groups[2].Value);

        var grown = Count(guest, $@"ONEKVM-GUEST-BLK-SIZE {name} ");
        var resize = await Driver.Staged.RunWithStdinAsync("resize_disk", data, guest.Name, "1", "64", "b64-ignored", "localhost", $"{id}", "localhost");

        ProtocolAssert.Succeeded(resize);
        Assert.Equal($"ONEKVM-GUEST-BLK-SIZE {name} 131072", (await WaitForNewLineAsync(guest, $@"ONEKVM-GUEST-BLK-SIZE {name} \d+", grown)).Value);

        var removed = Count(guest, $@"ONEKVM-GUEST-BLK-DEL {name}\b");
        var detach = await Driver.Staged.RunWithStdinAsync("detach_disk", data, guest.Name, link, "vdb", "1", $"{id}", "localhost");

        ProtocolAssert.Succeeded(detach);
        Assert.Null(await DiskAsync(guest.Name, "vdb"));
        await WaitForNewLineAsync(guest, $@"ONEKVM-GUEST-BLK-DEL {name}\b", removed);
    }

    [Fact]
    public async Task An_ethernet_nic_is_attached_and_detached_and_the_guest_sees_it_come_and_go()
    {
        var mac = Mac();
        var tap = Tap();
        var id = TestNames.OneVmId();
        var data = Vm(id).With(VmDocument.Vector("NIC", ("ATTACH", "YES"), ("NIC_ID", 1), ("MAC", mac), ("TARGET", tap),
            ("VN_MAD", "dummy"), ("MODEL", "virtio"))).ToString();

        // one_vmm_exec passes '' for the bridge of a NIC without one
        var attach = await Driver.Staged.RunWithStdinAsync("attach_nic", data, guest.Name, mac, "", "virtio", "dummy", tap, $"{id}", "localhost");

        ProtocolAssert.Succeeded(attach);
        var attached = await InterfaceAsync(guest.Name, mac);
        Assert.Equal("ethernet", (string?)attached?.Attribute("type"));
        Assert.Equal(tap, (string?)attached?.Element("target")?.Attribute("dev"));
        var added = await WaitForNewLineAsync(guest, $@"ONEKVM-GUEST-NET-ADD (\S+) {mac}", 0);
        var name = added.Groups[1].Value;

        var deleted = Count(guest, $@"ONEKVM-GUEST-NET-DEL {Regex.Escape(name)}\b");

        // upstream detaches with --type bridge and cannot detach this one
        var detach = await Driver.Staged.RunWithStdinAsync("detach_nic", data, guest.Name, mac, $"{id}", "localhost");

        ProtocolAssert.Succeeded(detach);
        Assert.Null(await InterfaceAsync(guest.Name, mac));
        await WaitForNewLineAsync(guest, $@"ONEKVM-GUEST-NET-DEL {Regex.Escape(name)}\b", deleted);

        var again = await Driver.Staged.RunWithStdinAsync("detach_nic", data, guest.Name, mac, $"{id}", "localhost");

        ProtocolAssert.Succeeded(again);
        Assert.Contains(ProtocolAssert.LogLines(again, "INFO"), l => l.Contains($"NIC {mac} is not attached", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_nic_on_a_linux_bridge_is_plugged_into_the_bridge_and_leaves_it_on_detach()
    {
        var bridge = $"okt{TestNames.Pid % 100000}br";
        var mac = Mac();
        var id = TestNames.OneVmId();
        var data = Vm(id).With(VmDocument.Vector("NIC", ("ATTACH", "YES"), ("NIC_ID", 2), ("MAC", mac), ("BRIDGE", bridge),
            ("BRIDGE_TYPE", "linux"), ("VN_MAD", "bridge"))).ToString();
        Assert.Equal(0, (await ProcessRun.RunAsync("ip", ["link", "add", "name", bridge, "type", "bridge"])).ExitCode);
        try
        {
            var attach = await Driver.Staged.RunWithStdinAsync("attach_nic", data, guest.Name, mac, bridge, "-", "bridge", "", $"{id}", "localhost");

            ProtocolAssert.Succeeded(attach);
            var attached = await InterfaceAsync(guest.Name, mac);
            Assert.Equal("bridge", (string?)attached?.Attribute("type"));
            Assert.Equal(bridge, (string?)attached?.Element("source")?.Attribute("bridge"));
            // the kvmrc of the remotes tree sets DEFAULT_ATTACH_NIC_MODEL=virtio
            Assert.Equal("virtio", (string?)attached?.Element("model")?.Attribute("type"));
            var tap = (string)attached!.Element("target")!.Attribute("dev")!;
            Assert.Contains($"master {bridge}", (await ProcessRun.RunAsync("ip", ["-o", "link", "show", tap])).Stdout);

            var detach = await Driver.Staged.RunWithStdinAsync("detach_nic", data, guest.Name, mac, $"{id}", "localhost");

            ProtocolAssert.Succeeded(detach);
            Assert.Null(await InterfaceAsync(guest.Name, mac));
        }
        finally
        {
            await ProcessRun.RunAsync("ip", ["link", "del", bridge]);
        }
    }
}
