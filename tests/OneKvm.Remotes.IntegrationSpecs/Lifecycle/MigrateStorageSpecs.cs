using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>One peer that is really another host (its own name, datastore and sshd), started once for the class.</summary>
public sealed class NonSharedHosts : IAsyncLifetime
{
    private PeerHost? _b;
    private PeerHost? _c;

    /// <summary>Where this host keeps its system datastores (the peer has its own files behind the same path).</summary>
    public string Datastores { get; } = TestPaths.NewScratchDirectory("datastores");

    public PeerHost B => _b ?? throw new InvalidOperationException("not started");

    /// <summary>A second one, the source of migrate_local (run here, as on a front-end).</summary>
    public PeerHost C => _c ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        var b = PeerHost.StartAsync("b", Datastores);
        var c = PeerHost.StartAsync("c", Datastores);
        _b = await b;
        _c = await c;
    }

    public async Task DisposeAsync()
    {
        foreach (var peer in new[] { _b, _c })
        {
            if (peer is not null)
            {
                await peer.DisposeAsync();
            }
        }
    }
}

/// <summary>
/// Live migrations when the system datastore is not shared (TM_MAD ssh, SHARED=NO, OpenNebula's
/// default): the destination is another host with its own datastore, reached by libvirt over
/// TCP and by ssh with a key, as a real node is. The VM's files must arrive there, the disks
/// copied live, and a failure must leave the VM running here with nothing left there.
/// </summary>
public sealed class MigrateStorageSpecs(NonSharedHosts hosts) : IClassFixture<NonSharedHosts>
{
    private const string Kvmrc = "QEMU_PROTOCOL=qemu+tcp\n";

    private static Driver Driver => Driver.Staged.WithKvmrc(Kvmrc);

    private PeerHost B => hosts.B;

    [Fact]
    public async Task Every_file_of_a_vm_on_a_local_datastore_arrives_on_the_other_host_and_it_runs_there()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-files");
        await vm.AddQcow2DiskAsync("vda", 0, "64M", written: "4M");
        await vm.AddRawDiskAsync("vdb", 1, "32M", written: "2M");
        await vm.AddChainDiskAsync("vdc", 2);
        await vm.AddCdromAsync("hda", 3);
        await File.WriteAllTextAsync(Path.Combine(vm.Directory, "vm.xml"), "<VM><ID>1</ID></VM>");
        await File.WriteAllTextAsync(Path.Combine(vm.Directory, "deployment.0"), vm.Xml.ToString());
        await vm.StartAsync();

        var result = await Driver.RunWithStdinAsync("migrate", vm.ActionData(), vm.Name, B.Name, "localhost", vm.Id, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("running", await B.StateAsync(vm.Name));
        Assert.Null(await TestVirsh.StateAsync(vm.Name));
        foreach (var file in new[] { "disk.0", "disk.1", "disk.2.snap/0", "disk.2.snap/1", "disk.3", "vm.xml", "deployment.0" })
        {
            await AssertSameContentAsync(Path.Combine(vm.Directory, file), B.Own(Path.Combine(vm.Directory, file)));
        }
        Assert.Equal("disk.2.snap/1", new FileInfo(B.Own(Path.Combine(vm.Directory, "disk.2"))).LinkTarget);
        // the top layer keeps its backing file, by the same relative name
        Assert.Contains("\"backing-filename\": \"0\"", await InfoAsync(B.Own(Path.Combine(vm.Directory, "disk.2.snap/1"))));
        // holes stay holes: 2 MiB written of a 32 MiB raw disk
        Assert.True(AllocatedBytes(B.Own(Path.Combine(vm.Directory, "disk.1"))) < 8L << 20,
            $"the raw disk was written whole on {B.Name}: {AllocatedBytes(B.Own(Path.Combine(vm.Directory, "disk.1")))} bytes");
        Assert.Contains($"Copying 3 disk(s) of {vm.Name} live (vda {vm.File("disk.0")}, vdb {vm.File("disk.1")}, vdc {vm.File("disk.2.snap/1")})",
            result.Stderr);
    }

    [Fact]
    public async Task A_guest_that_keeps_writing_moves_to_another_datastore_of_its_host_then_to_another_host_and_every_write_arrives()
    {
        await using var vm = await StartWritingGuestAsync("ns-guest", async vm =>
        {
            await vm.AddQcow2DiskAsync("vda", 0, "64M", written: "8M");
            await vm.AddRawDiskAsync("vdb", 1, "16M", written: "0");
        });

        // 1. to system datastore 100 of this host, while it writes
        var moved = vm.In(100);
        var move = await Driver.RunWithStdinAsync("migrate", vm.ActionData(targetDatastore: 100), vm.Name, "localhost", "localhost", vm.Id, "localhost");

        ProtocolAssert.Succeeded(move);
        Assert.Equal("running", await TestVirsh.StateAsync(vm.Name));
        var disks = await TestVirsh.CheckedAsync("domblklist", vm.Name);
        foreach (var (target, file) in new[] { ("vda", "disk.0"), ("vdb", "disk.1"), ("hdc", "disk.2") })
        {
            Assert.Matches($@"\b{target}\s+{System.Text.RegularExpressions.Regex.Escape(Path.Combine(moved, file))}\s", disks + "\n");
        }
        Assert.Contains($"<![CDATA[{moved}]]>",
            await TestVirsh.CheckedAsync("metadata", vm.Name, "--uri", LifecycleXml.MetadataUri));
        await AssertSameContentAsync(vm.File("disk.0"), Path.Combine(moved, "disk.0"));
        Assert.Equal(await Md5Async(vm.File("disk.2")), await Md5Async(Path.Combine(moved, "disk.2")));

        // 2. from there to the other host, whose datastore is its own
        var result = await Driver.RunWithStdinAsync("migrate", vm.ActionData(sourceDatastore: 100), vm.Name, B.Name, "localhost", vm.Id, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("running", await B.StateAsync(vm.Name));
        Assert.Null(await TestVirsh.StateAsync(vm.Name));
        // the guest runs there: it answers the power button, stops its writer and prints what its disk holds
        var sum = await PowerOffOnBAsync(vm);
        Assert.Equal(sum, await Md5Async(B.Own(Path.Combine(moved, "disk.1"))));
        await AssertSameContentAsync(vm.File("disk.0"), B.Own(Path.Combine(moved, "disk.0")));
    }

    [Fact]
    public async Task A_vm_going_to_another_host_and_another_system_datastore_runs_there_from_the_new_directory()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-newds");
        await vm.AddRawDiskAsync("vda", 0, "16M", written: "2M");
        await vm.AddCdromAsync("hdc", 1);
        await vm.StartAsync();

        var result = await Driver.RunWithStdinAsync("migrate", vm.ActionData(targetDatastore: 100), vm.Name, B.Name, "localhost", vm.Id, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("running", await B.StateAsync(vm.Name));
        var disks = await B.CheckedAsync("domblklist", vm.Name);
        Assert.Contains(Path.Combine(vm.In(100), "disk.0"), disks);
        Assert.Contains(Path.Combine(vm.In(100), "disk.1"), disks);
        Assert.Contains($"<![CDATA[{vm.In(100)}]]>", await B.CheckedAsync("metadata", vm.Name, "--uri", LifecycleXml.MetadataUri));
        await AssertSameContentAsync(vm.File("disk.0"), B.Own(Path.Combine(vm.In(100), "disk.0")));
        Assert.Equal(await Md5Async(vm.File("disk.1")), await Md5Async(B.Own(Path.Combine(vm.In(100), "disk.1"))));
    }

    [Fact]
    public async Task With_the_destination_sshd_stopped_the_vm_keeps_running_here_and_nothing_is_left_there()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-nossh");
        await vm.AddRawDiskAsync("vda", 0, "16M", written: "2M");
        await vm.StartAsync();
        var before = await Md5Async(vm.File("disk.0"));

        await B.StopSshdAsync();
        ProcessResult result;
        try
        {
            result = await Driver.RunWithStdinAsync("migrate", vm.ActionData(), vm.Name, B.Name, "localhost", vm.Id, "localhost");
        }
        finally
        {
            await B.StartSshdAsync();
        }

        var error = ProtocolAssert.Failed(result);
        Assert.StartsWith($"Could not copy the files of {vm.Name} to {B.Name}: ", error);
        Assert.Contains("Connection refused", error);
        Assert.EndsWith("it keeps running on localhost.", error);
        await AssertUntouchedAsync(vm, before);
    }

    [Fact]
    public async Task A_destination_datastore_too_small_for_the_disks_fails_the_migration_and_the_vm_keeps_running_here()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-full", datastore: 1);
        await vm.AddRawDiskAsync("vda", 0, "64M", written: "24M");
        await vm.StartAsync();
        var before = await Md5Async(vm.File("disk.0"));
        var datastore = Path.Combine(hosts.Datastores, "1");
        Directory.CreateDirectory(B.Own(datastore));
        await B.InsideCheckedAsync("mount", "-t", "tmpfs", "-o", "size=8m", "onekvm-full", datastore);

        try
        {
            var result = await Driver.RunWithStdinAsync("migrate", vm.ActionData(), vm.Name, B.Name, "localhost", vm.Id, "localhost");

            var error = ProtocolAssert.Failed(result);
            Assert.StartsWith($"Could not migrate {vm.Name} to {B.Name}: ", error);
            Assert.EndsWith("it keeps running on localhost.", error);
            await AssertUntouchedAsync(vm, before);
            Assert.Equal("", (await B.InsideCheckedAsync("ls", "-A", datastore)).Trim());
        }
        finally
        {
            await B.InsideAsync("umount", datastore);
        }
    }

    [Fact]
    public async Task A_signal_while_the_files_are_copied_stops_the_copy_and_removes_it_from_the_destination()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-sig-files");
        await vm.AddRawDiskAsync("vda", 0, "16M", written: "2M");
        // a large file that is not a disk: copied by rsync before the migration
        await ProcessRun.RunAsync("dd", ["if=/dev/urandom", $"of={vm.File("big.bin")}", "bs=1M", "count=400", "status=none"]);
        await vm.StartAsync();
        var before = await Md5Async(vm.File("disk.0"));

        var (action, stderr) = StartMigrate(vm, Kvmrc);
        Assert.True(await WaitForProcessAsync(a => a[0].EndsWith("rsync", StringComparison.Ordinal) && a.Contains(vm.Directory + "/"), TimeSpan.FromSeconds(30)),
            "rsync never started");
        Send("TERM", action.Id);
        var result = await FinishAsync(action, stderr);

        var error = ProtocolAssert.Failed(result);
        Assert.Equal($"The migration of {vm.Name} to {B.Name} was interrupted by a signal while its files were copied; it keeps running on localhost.", error);
        await AssertUntouchedAsync(vm, before);
    }

    [Fact]
    public async Task A_signal_during_the_live_disk_copy_aborts_it_and_removes_the_copy_from_the_destination()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-sig-copy");
        await vm.AddRawDiskAsync("vda", 0, "64M", written: "48M");
        await vm.StartAsync();
        var before = await Md5Async(vm.File("disk.0"));

        // 4 MiB/s: the disk takes about 12 s to copy
        var (action, stderr) = StartMigrate(vm, Kvmrc + "MIGRATE_OPTIONS=\"--bandwidth 4\"\n");
        Assert.True(await WaitForProcessAsync(a => a.Contains("-incoming") && a.Any(x => x.StartsWith($"guest={vm.Name},", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60)), "the destination never started its incoming QEMU");
        await Task.Delay(1500);
        Assert.False(action.HasExited, "the migration finished before the signal");
        Send("TERM", action.Id);
        var result = await FinishAsync(action, stderr);

        var error = ProtocolAssert.Failed(result);
        Assert.Equal($"The migration of {vm.Name} to {B.Name} was interrupted by a signal and aborted; it keeps running on localhost.", error);
        await AssertUntouchedAsync(vm, before);
    }

    [Fact]
    public async Task A_signal_while_the_disk_images_are_created_on_the_other_host_leaves_nothing_there_and_the_vm_running_here()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-sig-create");
        await vm.AddRawDiskAsync("vda", 0, "16M", written: "2M");
        await vm.StartAsync();
        var before = await Md5Async(vm.File("disk.0"));
        // the peer's real qemu-img, held at its start until the test lets it go (creating an image takes no time here)
        var hold = TestPaths.NewScratchDirectory("hold-qemu-img");
        File.Copy("/usr/bin/qemu-img", Path.Combine(hold, "qemu-img"));
        var wrapper = Path.Combine(hold, "held-qemu-img");
        await File.WriteAllTextAsync(wrapper,
            $"#!/bin/sh\n: > {hold}/creating\nwhile [ ! -e {hold}/release ]; do sleep 0.05; done\nexec {hold}/qemu-img \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await B.InsideCheckedAsync("mount", "--bind", wrapper, "/usr/bin/qemu-img");
        try
        {
            var (action, stderr) = StartMigrate(vm, Kvmrc);
            var creating = Path.Combine(hold, "creating");
            for (var i = 0; i < 300 && !File.Exists(creating) && !action.HasExited; i++)
            {
                await Task.Delay(100);
            }
            Assert.True(File.Exists(creating), "qemu-img create never ran on " + B.Name);
            Send("TERM", action.Id);
            var result = await FinishAsync(action, stderr);
            // what the destination ran goes on once onekvm is gone
            await File.WriteAllTextAsync(Path.Combine(hold, "release"), "");
            await Task.Delay(1000);

            var error = ProtocolAssert.Failed(result);
            Assert.Equal($"The migration of {vm.Name} to {B.Name} was interrupted by a signal while its files were copied; it keeps running on localhost.", error);
            await AssertUntouchedAsync(vm, before);
        }
        finally
        {
            await File.WriteAllTextAsync(Path.Combine(hold, "release"), "");
            await B.InsideAsync("umount", "/usr/bin/qemu-img");
        }
    }

    [Fact]
    public async Task A_signal_while_images_with_snapshots_are_copied_with_the_vm_paused_resumes_it_here_and_leaves_nothing_there()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-sig-paused");
        await vm.AddQcow2DiskAsync("vda", 0, "64M", written: "16M");
        await vm.StartAsync();
        await TestVirsh.CheckedAsync("snapshot-create-as", "--domain", vm.Name, "--name", "snap-0");

        // the second copy of the image, made while onekvm holds the VM paused, is held
        var (action, stderr) = StartMigrate(vm, Kvmrc);
        var rsync = await FindProcessAsync(a => a[0].EndsWith("rsync", StringComparison.Ordinal) && a.Contains("-I")
            && a.Contains(vm.Directory + "/./disk.0"), TimeSpan.FromSeconds(60));
        Assert.True(rsync > 0, "the copy made while the VM is paused never started");
        Send("STOP", rsync);
        Assert.Equal("paused", await TestVirsh.StateAsync(vm.Name));
        Send("TERM", action.Id);
        var result = await FinishAsync(action, stderr);

        var error = ProtocolAssert.Failed(result);
        Assert.Equal($"The migration of {vm.Name} to {B.Name} was interrupted by a signal and aborted; it keeps running on localhost.", error);
        Assert.Equal("running", await TestVirsh.StateAsync(vm.Name));
        Assert.Equal("snap-0", (await TestVirsh.CheckedAsync("snapshot-list", "--domain", vm.Name, "--name")).Trim());
        Assert.Null(await B.StateAsync(vm.Name));
        Assert.False((await B.InsideAsync("test", "-e", vm.Directory)).ExitCode == 0, $"{vm.Directory} was left on {B.Name}");
    }

    [Fact]
    public async Task A_signal_after_the_switchover_is_a_completed_migration_and_the_vm_runs_there_with_its_snapshots()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-sig-after");
        await vm.AddQcow2DiskAsync("vda", 0, "16M", written: "2M");
        await vm.StartAsync();
        for (var id = 0; id < 3; id++)
        {
            await TestVirsh.CheckedAsync("snapshot-create-as", "--domain", vm.Name, "--name", $"snap-{id}");
        }

        // the snapshots are redefined on the destination after the switchover: the first redefine is held there
        var (action, stderr) = StartMigrate(vm, Kvmrc);
        var redefine = await FindProcessAsync(a => a.Contains("--redefine") && a.Contains(B.Uri), TimeSpan.FromSeconds(60));
        Assert.True(redefine > 0, "no snapshot was redefined on " + B.Name);
        Send("STOP", redefine);
        try
        {
            Send("TERM", action.Id);
            await Task.Delay(500);
        }
        finally
        {
            Send("CONT", redefine);
        }
        var result = await FinishAsync(action, stderr);

        ProtocolAssert.Succeeded(result);
        Assert.Equal("running", await B.StateAsync(vm.Name));
        Assert.Null(await TestVirsh.StateAsync(vm.Name));
        Assert.Equal(["snap-0", "snap-1", "snap-2"],
            (await B.CheckedAsync("snapshot-list", "--domain", vm.Name, "--name")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order());
    }

    [Fact]
    public async Task A_signal_while_the_disks_are_mirrored_into_another_datastore_of_this_host_aborts_the_copies_and_leaves_the_vm_on_its_own_files()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-move-sig-copy");
        await vm.AddRawDiskAsync("vda", 0, "64M", written: "16M");
        await vm.AddQcow2DiskAsync("vdb", 1, "32M", written: "4M");
        await vm.StartAsync();
        var before = await Md5Async(vm.File("disk.0"));

        // the copies are made by QEMU; the virsh that waits for one of them to be in step is held
        var (action, stderr) = StartMigrate(vm, Kvmrc, "localhost", vm.ActionData(targetDatastore: 100));
        var blockcopy = await FindProcessAsync(a => a.Contains("blockcopy") && a.Contains(vm.Name), TimeSpan.FromSeconds(60));
        Assert.True(blockcopy > 0, "virsh blockcopy never ran");
        Send("STOP", blockcopy);
        Send("TERM", action.Id);
        var result = await FinishAsync(action, stderr);

        var error = ProtocolAssert.Failed(result);
        Assert.Equal($"The move of {vm.Name} to {vm.In(100)} was interrupted by a signal and aborted; it keeps running on localhost from {vm.Directory}.", error);
        Assert.Equal("running", await TestVirsh.StateAsync(vm.Name));
        var disks = await TestVirsh.CheckedAsync("domblklist", vm.Name);
        Assert.Contains(vm.File("disk.0"), disks);
        Assert.Contains(vm.File("disk.1"), disks);
        Assert.DoesNotContain("Block Copy", await TestVirsh.CheckedAsync("blockjob", "--domain", vm.Name, "--path", "vda", "--info") +
            await TestVirsh.CheckedAsync("blockjob", "--domain", vm.Name, "--path", "vdb", "--info"));
        Assert.False(Directory.Exists(vm.In(100)), $"{vm.In(100)} was left behind");
        Assert.Equal(before, await Md5Async(vm.File("disk.0")));
    }

    [Fact]
    public async Task A_move_to_a_datastore_of_this_host_too_small_for_the_disks_leaves_the_vm_on_its_own_files()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-move-full");
        await vm.AddRawDiskAsync("vda", 0, "64M", written: "24M");
        await vm.AddCdromAsync("hdc", 1);
        await vm.StartAsync();
        var before = await Md5Async(vm.File("disk.0"));
        var small = Path.Combine(hosts.Datastores, "101");
        Directory.CreateDirectory(small);
        var mount = await ProcessRun.RunAsync("mount", ["-t", "tmpfs", "-o", "size=8m", "onekvm-full", small]);
        Assert.True(mount.ExitCode == 0, mount.ToString());

        try
        {
            var result = await Driver.RunWithStdinAsync("migrate", vm.ActionData(targetDatastore: 101), vm.Name, "localhost", "localhost", vm.Id, "localhost");

            var error = ProtocolAssert.Failed(result);
            Assert.StartsWith($"Could not move {vm.Name} to {vm.In(101)}: ", error);
            Assert.EndsWith($"it keeps running on localhost from {vm.Directory}.", error);
            Assert.Equal("running", await TestVirsh.StateAsync(vm.Name));
            var disks = await TestVirsh.CheckedAsync("domblklist", vm.Name);
            Assert.Contains(vm.File("disk.0"), disks);
            Assert.Contains(vm.File("disk.1"), disks);
            Assert.Empty(Directory.EnumerateFileSystemEntries(small));
            Assert.Equal(before, await Md5Async(vm.File("disk.0")));
        }
        finally
        {
            await ProcessRun.RunAsync("umount", [small]);
        }
    }

    [Fact]
    public async Task A_signal_during_a_move_to_another_datastore_of_this_host_leaves_the_vm_on_its_own_files()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-move-sig");
        await vm.AddRawDiskAsync("vda", 0, "16M", written: "2M");
        await ProcessRun.RunAsync("dd", ["if=/dev/urandom", $"of={vm.File("big.bin")}", "bs=1M", "count=400", "status=none"]);
        await vm.StartAsync();

        var (action, stderr) = StartMigrate(vm, Kvmrc, "localhost", vm.ActionData(targetDatastore: 100));
        Assert.True(await WaitForProcessAsync(a => a[0].EndsWith("rsync", StringComparison.Ordinal) && a.Contains(vm.Directory + "/"), TimeSpan.FromSeconds(30)),
            "rsync never started");
        Send("TERM", action.Id);
        var result = await FinishAsync(action, stderr);

        var error = ProtocolAssert.Failed(result);
        Assert.Equal($"The move of {vm.Name} to {vm.In(100)} was interrupted by a signal and aborted; it keeps running on localhost from {vm.Directory}.", error);
        Assert.Equal("running", await TestVirsh.StateAsync(vm.Name));
        Assert.Contains(vm.File("disk.0"), await TestVirsh.CheckedAsync("domblklist", vm.Name));
        Assert.False(Directory.Exists(vm.In(100)), $"{vm.In(100)} was left behind");
    }

    [Fact]
    public async Task A_qcow2_disk_with_a_system_snapshot_goes_to_another_host_with_its_snapshot_while_the_guest_writes_to_it()
    {
        // a system snapshot covers every writable disk: each is qcow2; a CD-ROM beside them
        await using var vm = await StartWritingGuestAsync("ns-snapcarry", async vm =>
        {
            await vm.AddQcow2DiskAsync("vda", 0, "16M", written: "2M");
            await vm.AddQcow2DiskAsync("vdb", 1, "32M", written: "16M");
        });
        // OpenNebula's system snapshot, taken by onekvm while the guest writes
        var snapshot = await Driver.RunWithStdinAsync("snapshot_create", "<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST></VMM_DRIVER_ACTION_DATA>",
            vm.Name, "0", vm.Id, "localhost");
        ProtocolAssert.Succeeded(snapshot);
        Assert.Contains("snap-0", await SnapshotListAsync(vm.File("disk.1")));
        await Task.Delay(1000);

        var result = await Driver.RunWithStdinAsync("migrate", vm.ActionData(), vm.Name, B.Name, "localhost", vm.Id, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Contains($"Pausing {vm.Name} to copy the image(s) of vda, vdb with their internal snapshots", result.Stderr);
        Assert.Equal("running", await B.StateAsync(vm.Name));
        Assert.Null(await TestVirsh.StateAsync(vm.Name));
        Assert.Equal("snap-0", (await B.CheckedAsync("snapshot-list", "--domain", vm.Name, "--name")).Trim());
        var destination = B.Own(vm.Named("disk.1"));
        Assert.Contains("snap-0", await SnapshotListAsync(destination));
        // it keeps writing there; then it powers off and prints the md5 of what its disk holds
        await Task.Delay(2000);
        var sum = await PowerOffOnBAsync(vm);
        var check = await ProcessRun.RunAsync("qemu-img", ["check", destination]);
        Assert.True(check.ExitCode == 0, $"qemu-img check of {destination}: {check}");
        Assert.Equal(sum, await RawMd5Async(destination, snapshot: null));
        // the snapshot holds what the disk held when it was taken: the same as on the source
        Assert.Equal(await RawMd5Async(vm.File("disk.1"), "snap-0"), await RawMd5Async(destination, "snap-0"));
        await AssertSameContentAsync(vm.File("disk.0"), B.Own(vm.Named("disk.0")));
        Assert.Contains("snap-0", await SnapshotListAsync(B.Own(vm.Named("disk.0"))));
        Assert.Equal(await Md5Async(vm.File("disk.2")), await Md5Async(B.Own(vm.Named("disk.2"))));
    }

    [Fact]
    public async Task Migrate_local_moves_a_vm_and_its_files_between_two_other_hosts_from_the_front_end()
    {
        var C = hosts.C;
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-local", on: C);
        await vm.AddQcow2DiskAsync("vda", 0, "32M", written: "2M");
        await vm.AddRawDiskAsync("vdb", 1, "16M", written: "2M");
        await vm.AddCdromAsync("hda", 2);
        await vm.StartAsync();

        var result = await Driver.RunWithStdinAsync("migrate_local", vm.ActionData(), vm.Name, B.Name, C.Name, vm.Id, C.Name);

        ProtocolAssert.Succeeded(result);
        Assert.Equal("running", await B.StateAsync(vm.Name));
        Assert.Null(await C.StateAsync(vm.Name));
        foreach (var file in new[] { "disk.0", "disk.1", "disk.2" })
        {
            await AssertSameContentAsync(vm.File(file), B.Own(vm.Named(file)));
        }
    }

    [Fact]
    public async Task Migrate_local_moves_a_writing_guest_to_another_datastore_of_its_host_from_the_front_end_and_every_write_arrives()
    {
        await using var vm = await StartWritingGuestAsync("ns-local-move", async vm =>
        {
            await vm.AddQcow2DiskAsync("vda", 0, "32M", written: "2M");
            await vm.AddRawDiskAsync("vdb", 1, "16M", written: "0");
        }, on: B);

        // oned's -l migrate=migrate_local: run here (the front-end), source and destination host the same
        var result = await Driver.RunWithStdinAsync("migrate_local", vm.ActionData(targetDatastore: 100), vm.Name, B.Name, B.Name, vm.Id, B.Name);

        ProtocolAssert.Succeeded(result);
        var moved = vm.In(100);
        Assert.Equal("running", await B.StateAsync(vm.Name));
        Assert.Null(await TestVirsh.StateAsync(vm.Name));
        var disks = await B.CheckedAsync("domblklist", vm.Name);
        foreach (var (target, file) in new[] { ("vda", "disk.0"), ("vdb", "disk.1"), ("hdc", "disk.2") })
        {
            Assert.Matches($@"\b{target}\s+{System.Text.RegularExpressions.Regex.Escape(Path.Combine(moved, file))}\s", disks + "\n");
        }
        Assert.Contains($"<![CDATA[{moved}]]>", await B.CheckedAsync("metadata", vm.Name, "--uri", LifecycleXml.MetadataUri));
        await AssertSameContentAsync(vm.File("disk.0"), B.Own(Path.Combine(moved, "disk.0")));
        Assert.Equal(await Md5Async(vm.File("disk.2")), await Md5Async(B.Own(Path.Combine(moved, "disk.2"))));
        // the old directory is left for the TM driver, as upstream
        Assert.True(File.Exists(vm.File("disk.1")));

        var sum = await PowerOffOnBAsync(vm);
        Assert.Equal(sum, await Md5Async(B.Own(Path.Combine(moved, "disk.1"))));
    }

    [Fact]
    public async Task With_sync_time_the_clock_of_a_guest_minutes_behind_is_set_right_on_the_other_host_through_its_agent()
    {
        var console = Path.Combine(TestPaths.RunDirectory, $"console-{Guid.NewGuid():N}.log");
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-synctime", xml: AgentGuest.WithAgent(DomainXml.TinyGuest("guest", console)));
        await vm.AddRawDiskAsync("vda", 0, "16M", written: "2M");
        await vm.StartAsync();
        Assert.True(await AgentGuest.WaitForAgentAsync(vm.Name, TinyGuest.BootTimeout), "qemu-ga never answered:\n" + Read(console));
        // the guest's system clock 7 minutes behind, its RTC (the host's clock) right: as after minutes away
        var host = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.NotNull(await AgentGuest.AgentAsync(vm.Name,
            $$$"""{"execute":"guest-exec","arguments":{"path":"date","arg":["-s","@{{{host - 420}}}"]}}"""));
        await Task.Delay(1000);
        Assert.True(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - await GuestClockAsync(vm.Name) >= 400);

        var result = await Driver.WithKvmrc(Kvmrc + "SYNC_TIME=yes\n")
            .RunWithStdinAsync("migrate", vm.ActionData(), vm.Name, B.Name, "localhost", vm.Id, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("running", await B.StateAsync(vm.Name));
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        long? offset = null;
        var last = "";
        do
        {
            await Task.Delay(1000);
            var time = await B.VirshAsync("domtime", vm.Name);
            last = time.ToString();
            offset = time.ExitCode == 0
                ? DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(time.Stdout.Trim().Split(':')[1].Trim(), CultureInfo.InvariantCulture)
                : null;
        }
        while ((offset is not { } o || Math.Abs(o) > 2) && DateTime.UtcNow < deadline);
        Assert.True(offset is { } off && Math.Abs(off) <= 2, $"the guest clock on {B.Name} is {offset} s off after the migration ({last})\n{result}");
    }

    private static async Task<long> GuestClockAsync(string domain) =>
        long.Parse((await TestVirsh.CheckedAsync("domtime", domain)).Trim().Split(':')[1].Trim(), CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------ helpers

    /// <summary>
    /// The power button of a guest writing to vdb on B: it stops its writer (which must have
    /// written), prints the md5 of vdb and powers off; returns that md5 once the domain is gone.
    /// </summary>
    private async Task<string> PowerOffOnBAsync(LocalVm vm)
    {
        var (domain, console) = (vm.Name, vm.Console!);
        await B.CheckedAsync("shutdown", domain);
        Assert.True(await WaitForAsync(console, "ONEKVM-GUEST-POWEROFF", TimeSpan.FromMinutes(2)), "no power-off on " + B.Name + ":\n" + Read(console));
        var wrote = System.Text.RegularExpressions.Regex.Match(Read(console), "ONEKVM-GUEST-WROTE vdb ([0-9]+)").Groups[1].Value;
        Assert.True(int.Parse(wrote, CultureInfo.InvariantCulture) > 0, Read(console));
        for (var i = 0; i < 100 && await B.StateAsync(domain) is not null; i++)
        {
            await Task.Delay(200);
        }
        return System.Text.RegularExpressions.Regex.Match(Read(console), "ONEKVM-GUEST-SUM vdb ([0-9a-f]{32})").Groups[1].Value;
    }

    /// <summary>
    /// The tiny guest that keeps writing to its data disk vdb, started (on this host or <paramref name="on"/>) and writing for a
    /// second: the disks vda (disk.0) and vdb (disk.1) are added by <paramref name="addDisks"/>, a CD-ROM hdc (disk.2) beside
    /// them; its console in <see cref="LocalVm.Console"/>.
    /// </summary>
    private async Task<LocalVm> StartWritingGuestAsync(string purpose, Func<LocalVm, Task> addDisks, PeerHost? on = null)
    {
        var console = Path.Combine(TestPaths.RunDirectory, $"console-{Guid.NewGuid():N}.log");
        var vm = await LocalVm.CreateAsync(hosts, purpose, xml: DomainXml.TinyGuest("guest", console, "onekvm.write=vdb", memoryMiB: 128), on: on,
            console: console);
        try
        {
            await addDisks(vm);
            await vm.AddCdromAsync("hdc", 2);
            await vm.StartAsync();
            Assert.True(await WaitForAsync(console, "ONEKVM-GUEST-WRITING vdb", TinyGuest.BootTimeout), "the guest never started writing:\n" + Read(console));
            await Task.Delay(1000);
            return vm;
        }
        catch
        {
            await vm.DisposeAsync();
            throw;
        }
    }

    /// <summary>The VM runs here, unchanged, and the destination has neither a domain nor a file of it.</summary>
    private async Task AssertUntouchedAsync(LocalVm vm, string diskMd5)
    {
        Assert.Equal("running", await TestVirsh.StateAsync(vm.Name));
        for (var i = 0; i < 100 && await B.StateAsync(vm.Name) is not null; i++)
        {
            await Task.Delay(200);
        }
        Assert.Null(await B.StateAsync(vm.Name));
        Assert.False((await B.InsideAsync("test", "-e", vm.Directory)).ExitCode == 0, $"{vm.Directory} was left on {B.Name}");
        Assert.Equal(diskMd5, await Md5Async(vm.File("disk.0")));
    }

    private (Process Action, Task<string> Stderr) StartMigrate(LocalVm vm, string kvmrc, string? destination = null, string? data = null)
    {
        var file = Path.Combine(TestPaths.RunDirectory, $"kvmrc-{Guid.NewGuid():N}");
        File.WriteAllText(file, kvmrc);
        var psi = new ProcessStartInfo(TestPaths.Action("migrate"), [vm.Name, destination ?? B.Name, "localhost", vm.Id, "localhost"])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardError = true,
        };
        psi.Environment["ONEKVM_KVMRC"] = file;
        var action = Process.Start(psi)!;
        action.StandardInput.Write(data ?? vm.ActionData());
        action.StandardInput.Close();
        return (action, action.StandardError.ReadToEndAsync());
    }

    private static async Task<ProcessResult> FinishAsync(Process action, Task<string> stderr)
    {
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await action.WaitForExitAsync(wait.Token);
        var result = new ProcessResult(action.ExitCode, "", await stderr, TimeSpan.Zero);
        action.Dispose();
        return result;
    }

    private static async Task<bool> WaitForProcessAsync(Func<string[], bool> matches, TimeSpan timeout) =>
        await FindProcessAsync(matches, timeout) > 0;

    /// <summary>The pid of a process whose argv matches, or 0.</summary>
    private static async Task<int> FindProcessAsync(Func<string[], bool> matches, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid))
                {
                    continue;
                }
                try
                {
                    var argv = (await File.ReadAllTextAsync(Path.Combine(dir, "cmdline"))).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                    if (argv.Length > 0 && matches(argv))
                    {
                        return pid;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
            await Task.Delay(10);
        }
        return 0;
    }

    private static void Send(string signal, int pid) =>
        Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    private static string Read(string file) => File.Exists(file) ? File.ReadAllText(file) : "";

    private static async Task<bool> WaitForAsync(string console, string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Read(console).Contains(text, StringComparison.Ordinal))
            {
                return true;
            }
            await Task.Delay(200);
        }
        return false;
    }


    private static async Task AssertSameContentAsync(string source, string destination)
    {
        Assert.True(File.Exists(destination), $"{destination} did not arrive");
        if (source.Contains("disk.", StringComparison.Ordinal) && !source.EndsWith("disk.3", StringComparison.Ordinal))
        {
            var compare = await ProcessRun.RunAsync("qemu-img", ["compare", "-U", source, destination]);
            Assert.True(compare.ExitCode == 0, $"{destination} differs from {source}: {compare}");
        }
        else
        {
            Assert.Equal(await Md5Async(source), await Md5Async(destination));
        }
    }

    internal static async Task<string> SnapshotListAsync(string image)
    {
        var list = await ProcessRun.RunAsync("qemu-img", ["snapshot", "-U", "-l", image]);
        Assert.True(list.ExitCode == 0, $"qemu-img snapshot -l {image}: {list}");
        return list.Stdout;
    }

    /// <summary>The md5 of what the guest sees in a qcow2 image (or in one of its internal snapshots).</summary>
    internal static async Task<string> RawMd5Async(string image, string? snapshot)
    {
        var raw = Path.Combine(TestPaths.RunDirectory, $"raw-{Guid.NewGuid():N}");
        try
        {
            string[] args = snapshot is null
                ? ["convert", "-U", "-O", "raw", image, raw]
                : ["convert", "-U", "-O", "raw", "-l", "snapshot.name=" + snapshot, image, raw];
            var convert = await ProcessRun.RunAsync("qemu-img", args);
            Assert.True(convert.ExitCode == 0, $"qemu-img convert of {image}: {convert}");
            return await Md5Async(raw);
        }
        finally
        {
            File.Delete(raw);
        }
    }

    private static async Task<string> InfoAsync(string image) =>
        (await ProcessRun.RunAsync("qemu-img", ["info", "-U", "--output=json", image])).Stdout;

    private static long AllocatedBytes(string file)
    {
        var du = ProcessRun.RunAsync("du", ["-B1", "--", file]).GetAwaiter().GetResult();
        return long.Parse(du.Stdout.Split('\t')[0], CultureInfo.InvariantCulture);
    }

    internal static async Task<string> Md5Async(string file)
    {
        await using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(await MD5.HashDataAsync(stream));
    }
}

/// <summary>A VM in a (non-shared) system datastore of this host: its directory, disks and domain.</summary>
internal sealed class LocalVm : IAsyncDisposable
{
    private readonly NonSharedHosts _hosts;

    private LocalVm(NonSharedHosts hosts, string name, int datastore, DomainXml xml, PeerHost? on, string? console)
    {
        _hosts = hosts;
        On = on;
        Console = console;
        Name = name;
        VmId = TestNames.OneVmId();
        Datastore = datastore;
        Directory = Path.Combine(hosts.Datastores, datastore.ToString(CultureInfo.InvariantCulture), Id);
        System.IO.Directory.CreateDirectory(File(""));
        Xml = xml.WithElement(LifecycleXml.OneMetadata(Directory));
    }

    public string Name { get; }

    public int VmId { get; }

    public string Id => VmId.ToString(CultureInfo.InvariantCulture);

    public int Datastore { get; }

    public string Directory { get; }

    public DomainXml Xml { get; private set; }

    /// <summary>The host it runs on: this one, or a peer (its files then live in the peer's own datastore).</summary>
    public PeerHost? On { get; }

    /// <summary>The file its serial console is written to, when its XML has one.</summary>
    public string? Console { get; }

    public static Task<LocalVm> CreateAsync(NonSharedHosts hosts, string purpose, int datastore = 0, DomainXml? xml = null, PeerHost? on = null,
        string? console = null)
    {
        var name = TestNames.Domain(purpose);
        return Task.FromResult(new LocalVm(hosts, name, datastore, xml?.WithName(name) ?? DomainXml.Diskless(name), on, console));
    }

    /// <summary>A file of the VM as this host reaches it (in the peer's own files for a VM on a peer).</summary>
    public string File(string name) => On is null ? Path.Combine(Directory, name) : On.Own(Path.Combine(Directory, name));

    /// <summary>A file of the VM as its host (and its domain XML) names it.</summary>
    public string Named(string name) => Path.Combine(Directory, name);

    /// <summary>The VM's directory in another system datastore.</summary>
    public string In(int datastore) => Path.Combine(_hosts.Datastores, datastore.ToString(CultureInfo.InvariantCulture), Id);

    /// <summary>A qcow2 disk.N with <paramref name="written"/> bytes of a pattern at its start.</summary>
    public async Task AddQcow2DiskAsync(string target, int id, string size, string written)
    {
        var image = File($"disk.{id}");
        await CheckedAsync("qemu-img", "create", "-q", "-f", "qcow2", image, size);
        await CheckedAsync("qemu-io", "-f", "qcow2", "-c", $"write -P 0x5a 0 {written}", image);
        Xml = Xml.WithDevice(LifecycleXml.FileDisk(Named($"disk.{id}"), "qcow2", target));
    }

    /// <summary>A sparse raw disk.N with <paramref name="written"/> bytes of random data at 1 MiB.</summary>
    public async Task AddRawDiskAsync(string target, int id, string size, string written)
    {
        var image = File($"disk.{id}");
        await CheckedAsync("qemu-img", "create", "-q", "-f", "raw", image, size);
        if (written != "0")
        {
            await CheckedAsync("dd", "if=/dev/urandom", $"of={image}", "bs=1M", "seek=1", $"count={written.TrimEnd('M')}", "conv=notrunc",
                "status=none");
        }
        Xml = Xml.WithDevice(LifecycleXml.FileDisk(Named($"disk.{id}"), "raw", target));
    }

    /// <summary>disk.N as qcow2 snapshots make it: disk.N.snap/0 (base) &lt;- disk.N.snap/1 (top), disk.N a symlink to the top.</summary>
    public async Task AddChainDiskAsync(string target, int id)
    {
        var snaps = File($"disk.{id}.snap");
        System.IO.Directory.CreateDirectory(snaps);
        await CheckedAsync("qemu-img", "create", "-q", "-f", "qcow2", Path.Combine(snaps, "0"), "32M");
        await CheckedAsync("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 1M", Path.Combine(snaps, "0"));
        await CheckedAsync("qemu-img", "create", "-q", "-f", "qcow2", "-b", "0", "-F", "qcow2", Path.Combine(snaps, "1"));
        await CheckedAsync("qemu-io", "-f", "qcow2", "-c", "write -P 0x22 1M 1M", Path.Combine(snaps, "1"));
        System.IO.File.CreateSymbolicLink(File($"disk.{id}"), $"disk.{id}.snap/1");
        // deploy hands libvirt the symlink's target (a relative backing file resolves from there)
        Xml = Xml.WithDevice(LifecycleXml.FileDisk(Named($"disk.{id}.snap/1"), "qcow2", target));
    }

    /// <summary>UEFI firmware (OVMF, under TCG: it stops under this machine's nested KVM) with its variables in <paramref name="name"/>.</summary>
    public void AddUefiVariables(string name)
    {
        System.IO.File.Copy("/usr/share/OVMF/OVMF_VARS_4M.fd", File(name));
        Xml = Xml.Transform(d =>
        {
            d.SetAttributeValue("type", "qemu");
            var os = d.Element("os")!;
            os.Element("type")!.SetAttributeValue("machine", "q35");
            os.Add(new XElement("loader", new XAttribute("readonly", "yes"), new XAttribute("type", "pflash"), "/usr/share/OVMF/OVMF_CODE_4M.fd"),
                new XElement("nvram", Named(name)));
        });
    }

    /// <summary>A read-only CD-ROM (as the context ISO is).</summary>
    public async Task AddCdromAsync(string target, int id)
    {
        var iso = File($"disk.{id}");
        await CheckedAsync("dd", "if=/dev/urandom", $"of={iso}", "bs=64k", "count=6", "status=none");
        Xml = Xml.WithDevice(new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "cdrom"),
            new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
            new XElement("source", new XAttribute("file", Named($"disk.{id}"))),
            new XElement("target", new XAttribute("dev", target), new XAttribute("bus", "ide")),
            new XElement("readonly")));
    }

    public async Task StartAsync()
    {
        var file = Path.Combine(TestPaths.RunDirectory, Name + ".xml");
        await System.IO.File.WriteAllTextAsync(file, Xml.ToString());
        var result = On is null ? await TestVirsh.RunAsync("create", file) : await On.VirshAsync("create", file);
        Assert.True(result.ExitCode == 0, "virsh create failed: " + result);
    }

    /// <summary>What oned sends: the datastore the VM leaves (not shared) and the directory it goes to (DISK_TARGET_PATH).</summary>
    public string ActionData(int? targetDatastore = null, int? sourceDatastore = null)
    {
        var source = sourceDatastore ?? Datastore;
        return new XElement("VMM_DRIVER_ACTION_DATA",
            new XElement("HOST", "localhost"),
            new XElement("DEPLOY_ID", Name),
            new XElement("DISK_TARGET_PATH", In(targetDatastore ?? source)),
            new XElement("VM", new XElement("ID", VmId), new XElement("TEMPLATE")),
            new XElement("DATASTORE", new XElement("ID", source), new XElement("NAME", "system"), new XElement("TM_MAD", "ssh"),
                new XElement("BASE_PATH", Path.Combine(_hosts.Datastores, source.ToString(CultureInfo.InvariantCulture))),
                new XElement("TEMPLATE", new XElement("SHARED", "NO"), new XElement("TM_MAD", "ssh"))))
            .ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await TestDomain.RemoveAsync(Name);
        await _hosts.B.RemoveAsync(Name);
        await _hosts.C.RemoveAsync(Name);
        if (On is not null)
        {
            System.IO.Directory.Delete(File(""), recursive: true);
        }
        foreach (var datastore in new[] { Datastore, 100, 101 })
        {
            await _hosts.B.InsideAsync("rm", "-rf", "--", In(datastore));
            if (System.IO.Directory.Exists(In(datastore)))
            {
                System.IO.Directory.Delete(In(datastore), recursive: true);
            }
        }
    }

    private static async Task CheckedAsync(string program, params string[] args)
    {
        var r = await ProcessRun.RunAsync(program, args);
        Assert.True(r.ExitCode == 0, $"{program} {string.Join(' ', args)} failed: {r}");
    }
}
