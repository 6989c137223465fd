using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// A running VM moved to another system datastore of its host (the same-host move of migrate_local, DS_LIVE_MIGRATE), with
/// onekvm killed with SIGKILL at the steps that matter: for a VM with a system snapshot, right after its metadata is dropped,
/// right after the VM is paused for the copy of the image holding the snapshot, and right before the metadata is redefined (after
/// the switch to the new files); for a VM without one, before the first mirror and after the last switch. Each point on a fresh
/// diskless domain with a qcow2 disk. After the kill the VM runs (or is paused by the copy it was killed in) on its old files
/// or on its new ones, never a mix; then what oned runs next (while it is on its old files, the removal of the new directory
/// by the TM driver) and the move again, which must succeed with the VM running from the new directory, and the snapshot
/// back in libvirt, naming the new files, and a revert to it working.
/// </summary>
public sealed class KilledDatastoreMoveSpecs(NonSharedHosts hosts, ITestOutputHelper output) : IClassFixture<NonSharedHosts>
{
    private static readonly Driver Driver = Driver.Staged.WithKvmrc("QEMU_PROTOCOL=qemu+tcp\nSYNC_TIME=no\n");

    private static readonly string[] Programs = ["virsh", "rsync"];

    [Fact]
    public Task A_move_of_a_vm_with_a_snapshot_killed_around_dropping_and_redefining_its_metadata_keeps_the_snapshot_and_succeeds_when_run_again() =>
        KillAtAsync("dsk-snap", snapshot: true, labels =>
        [
            (Array.LastIndexOf(labels, "snapshot-delete") + 1, KillMoment.AfterCall),
            (Array.IndexOf(labels, "suspend") + 1, KillMoment.AfterCall),
            (Array.IndexOf(labels, "snapshot-create") + 1, KillMoment.BeforeCall),
        ]);

    [Fact]
    public Task A_move_of_a_vm_without_snapshots_killed_before_its_first_mirror_or_after_its_last_switch_succeeds_when_run_again() =>
        KillAtAsync("dsk-plain", snapshot: false, labels =>
        [
            (Array.IndexOf(labels, "blockcopy") + 1, KillMoment.BeforeCall),
            (Array.LastIndexOf(labels, "blockjob") + 1, KillMoment.AfterCall),
        ]);

    /// <summary>
    /// migrate_local run on the front-end for a move on another host (reached by ssh and libvirt over TCP): the journal is
    /// written there through ssh before the drop, read there by the run again after a kill right after the drop.
    /// </summary>
    [Fact]
    public async Task Migrate_local_from_the_front_end_killed_after_dropping_the_snapshot_metadata_leaves_the_journal_on_the_host_and_the_run_again_puts_it_back()
    {
        var b = hosts.B;
        string[] labels;
        await using (var dry = await PrepareOnAsync("dsk-local-dry"))
        {
            using var wrapper = new KillingVirsh(0, KillMoment.Never, ["virsh", "ssh", "rsync"]);
            ProtocolAssert.Succeeded(await RunLocalAsync(dry, wrapper));
            labels = [.. wrapper.Calls.Select(KilledMigrationSpecs.Label)];
        }
        var drop = Array.LastIndexOf(labels, "snapshot-delete") + 1;
        Assert.True(drop > 0, string.Join(" | ", labels));
        await using var vm = await PrepareOnAsync("dsk-local");
        using (var wrapper = new KillingVirsh(drop, KillMoment.AfterCall, ["virsh", "ssh", "rsync"]))
        {
            var killed = await RunLocalAsync(vm, wrapper);
            Assert.True(wrapper.Killed, killed.ToString());
        }
        Assert.Equal("", (await b.CheckedAsync("snapshot-list", "--domain", vm.Name, "--name")).Trim());
        Directory.Delete(b.Own(vm.In(100)), recursive: true);

        var again = await RunLocalAsync(vm, null);

        ProtocolAssert.Succeeded(again);
        Assert.Contains(Path.Combine(vm.In(100), "disk.0"), await b.CheckedAsync("domblklist", vm.Name));
        Assert.Equal("snap-0", (await b.CheckedAsync("snapshot-list", "--domain", vm.Name, "--name")).Trim());
        // it was on the host, read there through ssh
        Assert.Contains("Found the snapshot journal", again.Stderr);
        Assert.DoesNotContain(vm.Directory + "/", await b.CheckedAsync("snapshot-dumpxml", "--domain", vm.Name, "--snapshotname", "snap-0"));
        Assert.False(File.Exists(vm.File("onekvm-snapshot-journal.xml")), "the journal was left");
    }

    /// <summary>A diskless domain on the peer with a qcow2 disk and a snapshot snap-0.</summary>
    private async Task<LocalVm> PrepareOnAsync(string purpose)
    {
        var vm = await LocalVm.CreateAsync(hosts, purpose, on: hosts.B);
        await vm.AddQcow2DiskAsync("vda", 0, "16M", written: "2M");
        await vm.StartAsync();
        await hosts.B.CheckedAsync("snapshot-create-as", "--domain", vm.Name, "--name", "snap-0");
        return vm;
    }

    private Task<ProcessResult> RunLocalAsync(LocalVm vm, KillingVirsh? wrapper) =>
        (wrapper is null ? Driver : Driver.WithPathFirst(wrapper.Directory))
        .RunWithStdinAsync("migrate_local", vm.ActionData(targetDatastore: 100), vm.Name, hosts.B.Name, hosts.B.Name, vm.Id, hosts.B.Name);

    private async Task KillAtAsync(string purpose, bool snapshot, Func<string[], (int N, KillMoment Moment)[]> points)
    {
        string[] labels;
        await using (var dry = await PrepareAsync($"{purpose}-dry", snapshot))
        {
            using var wrapper = new KillingVirsh(0, KillMoment.Never, Programs);
            ProtocolAssert.Succeeded(await RunAsync(dry, wrapper));
            await AssertMovedAsync(dry, snapshot);
            labels = [.. wrapper.Calls.Select(KilledMigrationSpecs.Label)];
        }
        output.WriteLine($"{purpose}: {labels.Length} calls: {string.Join(" | ", labels)}");
        var failures = new KillPointFailures(output);
        foreach (var (n, moment) in points(labels))
        {
            Assert.True(n > 0, $"a kill point is not among the calls: {string.Join(" | ", labels)}");
            var label = $"move ({purpose}) killed {moment} call {n} ({labels[n - 1]})";
            await using var vm = await PrepareAsync($"{purpose}-{n}{moment.ToString()[0]}", snapshot);
            using var wrapper = new KillingVirsh(n, moment, Programs);
            var killed = await RunAsync(vm, wrapper);
            ProcessResult? again = null;
            try
            {
                Assert.True(wrapper.Killed, $"the call was not reached; calls: {string.Join(" | ", wrapper.Calls.Select(KilledMigrationSpecs.Label))}");
                label += await wrapper.AssertKilledAsync(killed, moment);
                Assert.Empty(await KilledMigrationSpecs.LeftProcessesAfterAsync(vm, TimeSpan.FromSeconds(60)));
                Assert.Contains(await TestVirsh.StateAsync(vm.Name), new[] { "running", "paused" });
                var disks = await TestVirsh.CheckedAsync("domblklist", vm.Name);
                var onNew = disks.Contains(vm.In(100) + "/", StringComparison.Ordinal);
                Assert.True(onNew != disks.Contains(vm.Directory + "/", StringComparison.Ordinal), $"the disks are on both directories:\n{disks}");
                if (!onNew)
                {
                    // what oned runs next while the VM is on its old files: the TM driver removes the new directory
                    Directory.Delete(vm.In(100), recursive: true);
                }
                again = await RunAsync(vm, null);
                ProtocolAssert.Succeeded(again);
                await AssertMovedAsync(vm, snapshot);
                if (snapshot)
                {
                    // each point is after the drop: the run again says it found the journal, and leaves none
                    Assert.Contains("Found the snapshot journal", again.Stderr);
                    Assert.False(File.Exists(Path.Combine(vm.Directory, "onekvm-snapshot-journal.xml")), "the journal was left");
                }
                output.WriteLine($"{label}: held (on its {(onNew ? "new" : "old")} files after the kill); run again: {again.Stderr.Trim().Split('\n')[^1]}");
            }
            catch (XunitException e)
            {
                failures.Add(label, e, killed, "run again", again);
            }
        }
        failures.AssertNone();
    }

    /// <summary>A diskless domain with a qcow2 disk in its directory; with <paramref name="snapshot"/>, snap-0 taken by snapshot_create.</summary>
    private async Task<LocalVm> PrepareAsync(string purpose, bool snapshot)
    {
        var vm = await LocalVm.CreateAsync(hosts, purpose);
        await vm.AddQcow2DiskAsync("vda", 0, "16M", written: "2M");
        await vm.StartAsync();
        if (snapshot)
        {
            ProtocolAssert.Succeeded(await Driver.RunWithStdinAsync("snapshot_create", "<VMM_DRIVER_ACTION_DATA/>", vm.Name, "0", vm.Id, "localhost"));
        }
        return vm;
    }

    private static Task<ProcessResult> RunAsync(LocalVm vm, KillingVirsh? wrapper) =>
        (wrapper is null ? Driver : Driver.WithPathFirst(wrapper.Directory))
        .RunWithStdinAsync("migrate", vm.ActionData(targetDatastore: 100), vm.Name, "localhost", "localhost", vm.Id, "localhost");

    /// <summary>It runs from the new directory; its snapshot is in libvirt, names the new files, and a revert to it works.</summary>
    private static async Task AssertMovedAsync(LocalVm vm, bool snapshot)
    {
        Assert.Equal("running", await TestVirsh.StateAsync(vm.Name));
        Assert.Contains(Path.Combine(vm.In(100), "disk.0"), await TestVirsh.CheckedAsync("domblklist", vm.Name));
        if (!snapshot)
        {
            return;
        }
        Assert.Equal("snap-0", (await TestVirsh.CheckedAsync("snapshot-list", "--domain", vm.Name, "--name")).Trim());
        var xml = await TestVirsh.CheckedAsync("snapshot-dumpxml", "--domain", vm.Name, "--snapshotname", "snap-0");
        Assert.DoesNotContain(vm.Directory + "/", xml);
        await TestVirsh.CheckedAsync("snapshot-revert", "--domain", vm.Name, "--snapshotname", "snap-0", "--force");
        Assert.Equal("running", await TestVirsh.StateAsync(vm.Name));
        Assert.Contains(Path.Combine(vm.In(100), "disk.0"), await TestVirsh.CheckedAsync("domblklist", vm.Name));
    }
}
