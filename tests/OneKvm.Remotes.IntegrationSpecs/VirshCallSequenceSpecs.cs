using System.Globalization;
using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.IntegrationSpecs.Lifecycle;
using OneKvm.Remotes.IntegrationSpecs.Live;
using OneKvm.Remotes.TestDocuments;
using Xunit;
using Scratch = OneKvm.Remotes.IntegrationSpecs.Lifecycle.Scratch;

namespace OneKvm.Remotes.IntegrationSpecs;

/// <summary>
/// The virsh calls of every action, in order and with every argument, recorded by a logging virsh
/// on the same inputs and compared with golden files (Golden/VirshCallSequenceSpecs.&lt;method&gt;.verified.txt).
/// A refactoring that keeps behaviour keeps these transcripts; one that changes a call on purpose
/// shows it in the diff of the golden file (ONEKVM_ACCEPT_GOLDEN=1 rewrites them). The goldens were
/// recorded from the binary of commit fa18326, before the renovation of issue 11.
/// The tiny guest (with qemu-ga for exec, room to grow for resize) is booted once for the class, and
/// two peer libvirtds (B and C, as MigrateSpecs) serve migrate and migrate_local; diskless domains serve
/// the actions that need no guest. Not here, because they call no virsh: save.ceph and restore.ceph
/// (rbd), the root helpers (vtpm_setup, vgpu, virtiofsd.sh).
/// </summary>
public sealed class VirshCallSequenceSpecs(VirshCallSequenceSpecs.TranscriptGuest guest, PeerHypervisors peers)
    : IClassFixture<VirshCallSequenceSpecs.TranscriptGuest>, IClassFixture<PeerHypervisors>
{
    private const string ActionData = "<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST></VMM_DRIVER_ACTION_DATA>";
    private const string ExecutionProbe = "im/kvm-probes.d/vm/execution/vm_execution";

    // the peers advertise host names nobody resolves: the migration stream goes to loopback (as MigrateSpecs)
    private const string MigrateKvmrc = """
        QEMU_PROTOCOL=qemu+tcp
        MIGRATE_OPTIONS="--migrateuri tcp://127.0.0.1"
        """;

    /// <summary>The tiny guest with qemu-ga (exec) and room to grow (resize), named one-&lt;id&gt;: one boot serves every live action.</summary>
    public sealed class TranscriptGuest : AgentGuest
    {
        protected override DomainXml Xml => ResizableGuest.WithRoomToGrow(base.Xml);
    }

    [Fact]
    public async Task Deploy_reset_reboot_and_cancel_of_a_domain_call_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        await using var scratch = new Scratch("argv-deploy");
        var xml = Registered(virsh, scratch, scratch.Diskless("deploy"));

        ProtocolAssert.Succeeded(await virsh.RunAsync("deploy", xml.ToString(), scratch.DeploymentFile, "localhost", scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("reset", ActionData, xml.Name, "localhost", scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("reboot", ActionData, xml.Name, "localhost", scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("cancel", ActionData, xml.Name, "localhost", scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("cancel", ActionData, xml.Name, "localhost", scratch.Vm, "localhost"));

        virsh.Verify();
    }

    [Fact]
    public async Task Shutdown_of_a_domain_without_acpi_calls_virsh_the_same_way_with_and_without_cancel_no_acpi()
    {
        using var virsh = new VirshTranscript();
        await using var scratch = new Scratch("argv-noacpi");
        var destroyed = Registered(virsh, scratch, scratch.Diskless("noacpi-cancel").WithoutAcpi(), "<DOMAIN-1>");
        var waited = Registered(virsh, scratch, scratch.Diskless("noacpi-wait").WithoutAcpi(), "<DOMAIN-2>");
        await scratch.StartAsync(destroyed);
        await scratch.StartAsync(waited);

        ProtocolAssert.Succeeded(await virsh.RunAsync(virsh.Driver.WithKvmrc("CANCEL_NO_ACPI=yes\n"),
            "shutdown", ActionData, destroyed.Name, "localhost", scratch.Vm, "localhost"));
        // without CANCEL_NO_ACPI the request is sent anyway, and the timeout destroys it
        ProtocolAssert.Succeeded(await virsh.RunAsync(virsh.Driver.WithKvmrc("CANCEL_NO_ACPI=no\nSHUTDOWN_TIMEOUT=2\nFORCE_DESTROY=yes\n"),
            "shutdown", ActionData, waited.Name, "localhost", scratch.Vm, "localhost"));

        virsh.Verify();
    }

    [Fact]
    public async Task Shutdown_that_times_out_calls_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        await using var scratch = new Scratch("argv-timeout");
        var xml = Registered(virsh, scratch, scratch.Diskless("timeout"));
        await scratch.StartAsync(xml);

        ProtocolAssert.Failed(await virsh.RunAsync(virsh.Driver.WithKvmrc("SHUTDOWN_TIMEOUT=2\nFORCE_DESTROY=no\n"),
            "shutdown", ActionData, xml.Name, "localhost", scratch.Vm, "localhost"));

        virsh.Verify();
    }

    [Fact]
    public async Task Save_and_restore_call_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        await using var scratch = new Scratch("argv-save");
        var xml = Registered(virsh, scratch, scratch.Diskless("save"));
        await scratch.StartAsync(xml);
        var data = LifecycleXml.ActionData(scratch.VmId);
        SavedImage(virsh);

        ProtocolAssert.Succeeded(await virsh.RunAsync("save", data, xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("restore", data, scratch.Checkpoint, "localhost", "", scratch.Vm, "localhost"));

        virsh.Verify();
    }

    [Fact]
    public async Task A_restore_whose_virsh_restore_keeps_failing_transiently_calls_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript(failingVerb: "restore");
        await using var scratch = new Scratch("argv-restore-fault");
        var xml = Registered(virsh, scratch, scratch.Diskless("restore-fault"));
        await scratch.StartAsync(xml);
        var data = LifecycleXml.ActionData(scratch.VmId);
        SavedImage(virsh);
        var driver = virsh.Driver.WithKvmrc("VIRSH_RETRIES=2\n");

        ProtocolAssert.Succeeded(await virsh.RunAsync(driver, "save", data, xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost"));
        var error = ProtocolAssert.Failed(await virsh.RunAsync(driver, "restore", data, scratch.Checkpoint, "localhost", "", scratch.Vm, "localhost"));

        Assert.Contains("failed to connect to the hypervisor", error, StringComparison.Ordinal);
        virsh.Verify();
    }

    [Fact]
    public async Task Snapshot_create_revert_and_delete_call_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        await using var scratch = new Scratch("argv-snap");
        var xml = Registered(virsh, scratch, await scratch.WithQcow2DiskAsync("snap"));
        await scratch.StartAsync(xml);

        ProtocolAssert.Succeeded(await virsh.RunAsync("snapshot_create", ActionData, xml.Name, "0", scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("snapshot_create", ActionData, xml.Name, "1", scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("snapshot_revert", ActionData, xml.Name, "snap-0", scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("snapshot_delete", ActionData, xml.Name, "snap-0", scratch.Vm, "localhost"));

        virsh.Verify();
    }

    [Fact]
    public async Task Prereconfigure_and_reconfigure_call_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        await using var scratch = new Scratch("argv-context");
        var old = Path.Combine(scratch.VmDirectory, "disk.1.iso");
        var rebuilt = Path.Combine(scratch.VmDirectory, "disk.1");
        await File.WriteAllBytesAsync(old, new byte[64 * 1024]);
        await File.WriteAllBytesAsync(rebuilt, new byte[64 * 1024]);
        var xml = Registered(virsh, scratch, scratch.Diskless("context").WithDevice(
            new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "cdrom"),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
                new XElement("source", new XAttribute("file", old)),
                new XElement("target", new XAttribute("dev", "hda"), new XAttribute("bus", "ide")),
                new XElement("readonly"))));
        await scratch.StartAsync(xml);

        ProtocolAssert.Succeeded(await virsh.RunAsync("prereconfigure", ActionData, xml.Name, "hda", scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("reconfigure", ActionData, xml.Name, "hda", rebuilt, scratch.Vm, "localhost"));

        virsh.Verify();
    }

    [Fact]
    public async Task Disk_attach_resize_and_detach_on_a_running_guest_call_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        await using var scratch = new Scratch("argv-disk");
        Registered(virsh, scratch);
        Guest(virsh);
        var image = await LiveChecks.QcowAsync(scratch.Root, "image.qcow2", "32M");
        var link = Path.Combine(scratch.VmDirectory, "disk.1");
        File.CreateSymbolicLink(link, image);
        var data = VmDocument.Create(scratch.VmId).With(VmDocument.Vector("DISK", ("ATTACH", "YES"), ("DISK_ID", 1), ("TARGET", "vdb"),
            ("TYPE", "FILE"), ("DRIVER", "qcow2"), ("SERIAL", "onekvm-test"))).ToString();
        var seen = LiveChecks.Count(guest, @"ONEKVM-GUEST-BLK-ADD vd[a-z]+ ");

        ProtocolAssert.Succeeded(await virsh.RunAsync("attach_disk", data, guest.OneName, link, "vdb", "1", "b64-ignored", scratch.Vm, "localhost"));
        // the guest must have the disk before it can grow and release it
        await LiveChecks.WaitForNewLineAsync(guest, @"ONEKVM-GUEST-BLK-ADD vd[a-z]+ ", seen);
        ProtocolAssert.Succeeded(await virsh.RunAsync("resize_disk", data, guest.OneName, "1", "64", "b64-ignored", "localhost", scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("detach_disk", data, guest.OneName, link, "vdb", "1", scratch.Vm, "localhost"));

        virsh.Verify();
    }

    [Fact]
    public async Task Nic_attach_and_detach_on_a_running_guest_call_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        await using var scratch = new Scratch("argv-nic");
        Registered(virsh, scratch);
        Guest(virsh);
        var mac = virsh.Name(LiveChecks.Mac(), "<MAC>");
        var tap = virsh.Name(LiveChecks.Tap(), "<TAP>");
        var data = VmDocument.Create(scratch.VmId).With(VmDocument.Vector("NIC", ("ATTACH", "YES"), ("NIC_ID", 1), ("MAC", mac), ("TARGET", tap),
            ("VN_MAD", "dummy"), ("MODEL", "virtio"))).ToString();

        ProtocolAssert.Succeeded(await virsh.RunAsync("attach_nic", data, guest.OneName, mac, "", "virtio", "dummy", tap, scratch.Vm, "localhost"));
        await LiveChecks.WaitForNewLineAsync(guest, $"ONEKVM-GUEST-NET-ADD (\\S+) {mac}", 0);
        ProtocolAssert.Succeeded(await virsh.RunAsync("detach_nic", data, guest.OneName, mac, scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("detach_nic", data, guest.OneName, mac, scratch.Vm, "localhost"));

        virsh.Verify();
    }

    [Fact]
    public async Task Detaching_a_nic_no_guest_ever_releases_asks_again_and_calls_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        await using var scratch = new Scratch("argv-stuck-nic");
        var mac = virsh.Name(LiveChecks.Mac(), "<MAC>");
        // no guest OS: the unplug request is never answered, so every attempt is made, whatever the machine's load
        var xml = Registered(virsh, scratch, scratch.Diskless("stuck-nic").WithDevice(new XElement("interface", new XAttribute("type", "ethernet"),
            new XElement("mac", new XAttribute("address", mac)), new XElement("model", new XAttribute("type", "virtio")))));
        await scratch.StartAsync(xml);
        // the tap device libvirt named
        virsh.Pattern(@"vnet\d+", "vnet<N>");

        ProtocolAssert.Failed(await virsh.RunAsync(virsh.Driver.WithKvmrc("VIRSH_RETRIES=2\n"),
            "detach_nic", VmDocument.Create(scratch.VmId).ToString(), xml.Name, mac, scratch.Vm, "localhost"));

        virsh.Verify();
    }

    [Fact]
    public async Task Resize_and_poll_of_a_running_guest_call_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        await using var scratch = new Scratch("argv-resize");
        Registered(virsh, scratch);
        Guest(virsh);
        var memory = (long)XElement.Parse(await TestVirsh.DumpXmlAsync(guest.OneName)).Element("currentMemory")! / 1024;
        string Resize(int vcpu, long mib, int oldVcpu, long oldMib, string mode = "BALLOONING") =>
            VmDocument.Create(scratch.VmId).WithTemplateValue("VCPU", vcpu).WithTemplateValue("MEMORY", mib)
                .WithTemplateValue("MEMORY_RESIZE_MODE", mode).With(VmDocument.Vector("RESIZE", ("VCPU", oldVcpu), ("MEMORY", oldMib))).ToString();

        // a VCPU hot-plugged, the balloon let down, a DIMM hot-plugged
        ProtocolAssert.Succeeded(await virsh.RunAsync("resize", Resize(2, memory, 1, memory), guest.OneName, scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("resize", Resize(2, memory - 64, 2, memory), guest.OneName, scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("resize", Resize(2, memory + 128, 2, memory - 64, "HOTPLUG"), guest.OneName, scratch.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync("poll", "<VMM_DRIVER_ACTION_DATA/>", guest.OneName, "localhost", scratch.Vm, "localhost"));

        virsh.Verify();
    }

    [Fact]
    public async Task The_monitor_and_state_probes_call_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        var runDirectory = virsh.Name(TestPaths.NewScratchDirectory("argv-probe"), "<PROBEDIR>");
        var driver = virsh.Driver.WithEnvironment("ONEKVM_RUN_DIR", runDirectory)
            .WithEnvironment("ONEKVM_METRICS_DIR", Path.Combine(runDirectory, "one_db"))
            .WithEnvironment(Monitoring.ProbeHost.LibvirtClientVariable, "virsh");
        const string host = "node-under-test";

        // a one-N domain of another session that stops while a probe runs makes it read UUIDs with virsh list: run again
        static bool AllInSight(ProcessResult r) => !r.Stderr.Contains("No QEMU process in sight", StringComparison.Ordinal);
        foreach (var probe in new[] { "im/kvm-probes.d/vm/monitor/vm_monitor", "im/kvm-probes.d/vm/status/vm_state" })
        {
            ProtocolAssert.Succeeded(await virsh.RunEntryUntilAsync(driver, probe, AllInSight, TimeSpan.FromSeconds(30), "kvm", "0", host));
        }

        virsh.Verify();
    }

    [Fact]
    public async Task Actions_on_a_missing_domain_call_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        await using var scratch = new Scratch("argv-missing");
        Registered(virsh, scratch);
        var name = virsh.Name(TestNames.Domain("missing"), "<MISSING>");

        foreach (var action in new[] { "shutdown", "cancel", "reboot", "reset", "poll" })
        {
            await virsh.RunAsync(action, ActionData, name, "localhost", scratch.Vm, "localhost");
        }
        await virsh.RunAsync("save", LifecycleXml.ActionData(scratch.VmId), name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");
        await virsh.RunAsync("snapshot_create", ActionData, name, "0", scratch.Vm, "localhost");
        await virsh.RunAsync("snapshot_revert", ActionData, name, "snap-0", scratch.Vm, "localhost");
        await virsh.RunAsync("snapshot_delete", ActionData, name, "snap-0", scratch.Vm, "localhost");
        await virsh.RunAsync("detach_nic", VmDocument.Create(scratch.VmId).ToString(), name, "02:6f:6b:00:00:01", scratch.Vm, "localhost");
        await virsh.RunAsync("prereconfigure", ActionData, name, "hda", scratch.Vm, "localhost");

        virsh.Verify();
    }

    [Fact]
    public async Task Migrate_to_another_host_migrate_local_between_two_others_and_an_unreachable_destination_call_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        await using var scratch = new Scratch("argv-migrate");
        var moved = Registered(virsh, scratch, scratch.Diskless("migrate"), "<DOMAIN-1>");
        var between = Registered(virsh, scratch, scratch.Diskless("migrate-local"), "<DOMAIN-2>");
        virsh.Name(peers.B.Host, "<PEER-B>");
        virsh.Name(peers.C.Host, "<PEER-C>");
        var nowhere = virsh.Name("127.0.0.1:" + PeerHypervisor.FreeLoopbackPort().ToString(CultureInfo.InvariantCulture), "<NOWHERE>");
        // a port of our own for each migration stream: libvirt's default range is shared by every libvirtd of this busy machine
        var stream = virsh.Name("tcp://127.0.0.1:" + PeerHypervisor.FreeLoopbackPort().ToString(CultureInfo.InvariantCulture),
            "tcp://127.0.0.1:<MIGRATION-PORT>");
        var driver = virsh.Driver.WithKvmrc(MigrateKvmrc.Replace("tcp://127.0.0.1", stream, StringComparison.Ordinal));
        var data = LifecycleXml.ActionData(scratch.VmId);
        await TestDomain.StartAsync(moved, persistent: true); // the scratch removes it by name
        var file = Path.Combine(scratch.Root, "on-b.xml");
        await File.WriteAllTextAsync(file, between.ToString());
        await peers.B.CheckedAsync("define", file);
        await peers.B.CheckedAsync("start", between.Name);

        try
        {
            ProtocolAssert.Failed(await virsh.RunAsync(driver, "migrate", data, moved.Name, nowhere, "localhost", scratch.Vm, "localhost"));
            ProtocolAssert.Succeeded(await virsh.RunAsync(driver, "migrate", data, moved.Name, peers.B.Host, "localhost", scratch.Vm, "localhost"));
            ProtocolAssert.Succeeded(await virsh.RunAsync(driver, "migrate_local", data, between.Name, peers.C.Host, peers.B.Host, scratch.Vm, peers.B.Host));
        }
        finally
        {
            await peers.B.RemoveAsync(moved.Name);
            await peers.B.RemoveAsync(between.Name);
            await peers.C.RemoveAsync(between.Name);
        }

        virsh.Verify();
    }

    [Fact]
    public async Task Exec_the_execution_probe_and_exec_cancel_call_virsh_the_same_way()
    {
        using var virsh = new VirshTranscript();
        Guest(virsh);
        // qemu-ga numbers the processes it starts
        virsh.Pattern(@"(\\""pid\\"":)\d+", "${1}<PID>");
        virsh.Pattern(@"(\\""kill\\""\\,\\""arg\\"":\\\[\\""-9\\""\\,\\"")\d+", "${1}<PID>");
        var driver = virsh.Driver.WithEnvironment("ONEKVM_EXEC_DIR", virsh.Name(guest.ExecDirectory, "<EXECDIR>"));

        ProtocolAssert.Succeeded(await virsh.RunAsync(driver, "exec", ExecData("echo done"), guest.Vm, "localhost", "echo done"));
        var reported = await virsh.RunEntryUntilAsync(driver, ExecutionProbe, r => r.Stdout.Contains($"ID=\"{guest.Vm}\"", StringComparison.Ordinal),
            LiveChecks.GuestTimeout, "kvm", "0", "localhost");
        Assert.Contains($"ID=\"{guest.Vm}\"", reported.Stdout, StringComparison.Ordinal);
        ProtocolAssert.Succeeded(await virsh.RunAsync(driver, "exec", ExecData("sleep 600"), guest.Vm, "localhost", "sleep 600"));
        ProtocolAssert.Succeeded(await virsh.RunAsync(driver, "exec_cancel", ExecData("sleep 600"), guest.Vm, "localhost"));
        ProtocolAssert.Succeeded(await virsh.RunAsync(driver, "exec_cancel", ExecData("sleep 600"), guest.Vm, "localhost"));

        virsh.Verify();
    }

    private string ExecData(string command) =>
        $"<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST><VM><ID>{guest.Vm}</ID><TEMPLATE><QEMU_GA_EXEC>" +
        $"<COMMAND><![CDATA[{command}]]></COMMAND></QEMU_GA_EXEC></TEMPLATE></VM></VMM_DRIVER_ACTION_DATA>";

    /// <summary>
    /// What the XML of a saved image holds that differs between runs or hosts: the checkpoint file's identity (device,
    /// inode, modification time) in restore's marker, and the machine type libvirt expanded with this host's QEMU version.
    /// </summary>
    private static void SavedImage(VirshTranscript virsh)
    {
        virsh.Pattern(@"identity=\\?""[^""\\]*\\?""", "identity=\"<CHECKPOINT-IDENTITY>\"");
        virsh.Pattern(@"machine=\\?""pc-i440fx-[0-9.]+\\?""", "machine=\"<MACHINE>\"");
    }

    /// <summary>Registers the guest's domain name and VM id.</summary>
    private void Guest(VirshTranscript virsh)
    {
        virsh.Name(guest.OneName, "<GUEST>");
        virsh.Name(guest.Vm, "<GUEST-VMID>");
    }

    /// <summary>Registers the scratch directories and VM id of <paramref name="scratch"/>, and the domain of <paramref name="xml"/>.</summary>
    private static DomainXml Registered(VirshTranscript virsh, Scratch scratch, DomainXml xml, string placeholder = "<DOMAIN>")
    {
        Registered(virsh, scratch);
        virsh.Name(xml.Name, placeholder);
        return xml;
    }

    private static void Registered(VirshTranscript virsh, Scratch scratch)
    {
        virsh.Name(scratch.VmDirectory, "<VMDIR>");
        virsh.Name(scratch.Root, "<SCRATCH>");
        virsh.Name(scratch.Vm, "<VMID>");
    }
}
