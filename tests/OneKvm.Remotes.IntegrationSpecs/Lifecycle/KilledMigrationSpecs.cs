using System.Globalization;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// migrate killed with SIGKILL at every step, against this host's libvirtd and a peer that is
/// really another host (its own name, libvirtd, sshd and datastore; shared by the class). A dry
/// run records the calls migrate makes (virsh, and for a datastore that is not shared ssh and
/// rsync too); then for each call N a fresh domain is started here and onekvm dies right before
/// call N, right after it, and during the long ones. Right after the kill (and once what onekvm
/// left running has ended): the VM runs on exactly one host, here or there, and no process
/// onekvm started is left; then what oned runs next (for a VM still here on a datastore that is
/// not shared, the TM driver's premigrate first, which removes the VM directory on the destination)
/// and migrate again, which must succeed with the VM running there and its disk as it was. Diskless domains (no guest OS): every step is about
/// libvirt, ssh and files, not the guest.
/// </summary>
public sealed class KilledMigrationSpecs(NonSharedHosts hosts, ITestOutputHelper output) : IClassFixture<NonSharedHosts>
{
    private static readonly Driver Driver = Driver.Staged.WithKvmrc("QEMU_PROTOCOL=qemu+tcp\nSYNC_TIME=no\n");

    /// <summary>libvirt calls a disk on a local file system unshared even when both hosts see it: --unsafe, as an operator would.</summary>
    private static readonly Driver UnsafeDriver = Driver.Staged.WithKvmrc("QEMU_PROTOCOL=qemu+tcp\nSYNC_TIME=no\nMIGRATE_OPTIONS=--unsafe\n");

    /// <summary>The calls that last: killed while they run too.</summary>
    private static readonly string[] LongVerbs = ["migrate", "rsync", "ssh"];

    private PeerHost B => hosts.B;

    [Fact]
    public Task A_migration_on_a_shared_datastore_killed_at_any_step_leaves_the_vm_on_one_host_and_succeeds_when_run_again() =>
        KillAtEveryStepAsync("shared", shared: true);

    [Fact]
    public Task A_migration_copying_its_disks_to_another_host_killed_at_any_step_leaves_the_vm_on_one_host_and_succeeds_when_run_again() =>
        KillAtEveryStepAsync("nonshared", shared: false);

    /// <summary>
    /// A VM with a system snapshot (a qcow2 disk outside the system datastore, on storage both hosts see) migrated on a shared
    /// datastore: libvirt refuses a domain with snapshots, so their metadata is dropped before and redefined after. onekvm killed
    /// right after the drop, during and after virsh migrate, and right before the redefinition: the VM runs on one host, and
    /// after oned's next step (here a snapshot revert then the migrate run again, there the migrate run again) the snapshot is
    /// in libvirt where the VM runs and a revert to it works.
    /// </summary>
    [Fact]
    public async Task A_migration_of_a_vm_with_a_snapshot_killed_between_dropping_and_redefining_its_metadata_loses_no_snapshot()
    {
        string[] labels;
        await using (var dry = await PrepareWithSnapshotAsync("km-snap-dry"))
        {
            using var wrapper = new KillingVirsh(0, KillMoment.Never, ["virsh", "ssh", "rsync"]);
            ProtocolAssert.Succeeded(await RunAsync(dry, shared: true, wrapper, UnsafeDriver));
            await AssertSnapshotWhereItRunsAsync(dry, here: false);
            labels = [.. wrapper.Calls.Select(Label)];
        }
        output.WriteLine($"with a snapshot: {labels.Length} calls: {string.Join(" | ", labels)}");
        var drop = Array.LastIndexOf(labels, "snapshot-delete") + 1;
        var migrate = Array.IndexOf(labels, "migrate") + 1;
        var redefine = Array.IndexOf(labels, "snapshot-create") + 1;
        Assert.True(drop > 0 && migrate > drop && redefine > migrate, string.Join(" | ", labels));

        var failures = new KillPointFailures(output);
        foreach (var (n, moment) in new[] { (drop, KillMoment.AfterCall), (migrate, KillMoment.DuringCall), (migrate, KillMoment.AfterCall),
                     (redefine, KillMoment.BeforeCall) })
        {
            var label = $"migrate with a snapshot killed {moment} call {n} ({labels[n - 1]})";
            await using var vm = await PrepareWithSnapshotAsync($"km-snap-{n}{moment.ToString()[0]}");
            using var wrapper = new KillingVirsh(n, moment, ["virsh", "ssh", "rsync"]);
            var killed = await RunAsync(vm, shared: true, wrapper, UnsafeDriver);
            ProcessResult? next = null;
            try
            {
                Assert.True(wrapper.Killed, $"the call was not reached; calls: {string.Join(" | ", wrapper.Calls.Select(Label))}");
                label += await wrapper.AssertKilledAsync(killed, moment);
                Assert.Empty(await LeftProcessesAfterAsync(vm, TimeSpan.FromSeconds(60)));
                var here = await AssertOnOneHostAsync(vm);
                if (here)
                {
                    // oned's next step may be a revert to the snapshot, on the host where the VM runs
                    next = await Driver.RunWithStdinAsync("snapshot_revert", "<VMM_DRIVER_ACTION_DATA/>", vm.Name, "snap-0", vm.Id, "localhost");
                    ProtocolAssert.Succeeded(next);
                    await AssertSnapshotWhereItRunsAsync(vm, here: true);
                }
                var found = next?.Stderr.Contains("Found the snapshot journal", StringComparison.Ordinal) == true;
                next = await RunAsync(vm, shared: true, null, UnsafeDriver);
                ProtocolAssert.Succeeded(next);
                // each point is after the drop: the revert or the migrate run again says it found the journal, and none is left
                Assert.True(found || next.Stderr.Contains("Found the snapshot journal", StringComparison.Ordinal), "no journal was found");
                Assert.False(File.Exists(vm.File("onekvm-snapshot-journal.xml")), "the journal was left");
                Assert.Equal("running", await B.StateAsync(vm.Name));
                await AssertSnapshotWhereItRunsAsync(vm, here: false);
                output.WriteLine($"{label}: held ({(here ? "here" : "there")} after the kill); run again: {FirstInfo(next)}");
            }
            catch (XunitException e)
            {
                failures.Add(label, e, killed, "next", next);
            }
        }
        failures.AssertNone();
    }

    /// <summary>
    /// On a datastore that is not shared, a VM whose disk holds an internal snapshot (its image is copied while it is paused)
    /// or with UEFI variables (copied after the switchover): libvirt leaves it paused on the destination (--suspend) until
    /// onekvm resumes it. onekvm killed right after virsh migrate returned: the VM is paused there and gone from here;
    /// migrate run again finishes the switchover, and the VM runs there with the disk (and snapshot) or the variables the
    /// source's files hold.
    /// </summary>
    [Theory]
    [InlineData("snapshot")]
    [InlineData("nvram")]
    public async Task A_migration_killed_while_the_vm_waits_paused_on_the_destination_resumes_it_there_when_run_again(string kind)
    {
        int migrate;
        await using (var dry = await PreparePausedOnArrivalAsync($"km-{kind}-dry", kind))
        {
            using var wrapper = new KillingVirsh(0, KillMoment.Never, ["virsh", "ssh", "rsync"]);
            ProtocolAssert.Succeeded(await RunAsync(dry, shared: false, wrapper));
            migrate = Array.IndexOf([.. wrapper.Calls.Select(Label)], "migrate") + 1;
            Assert.True(migrate > 0 && wrapper.Calls[migrate - 1].Contains("--suspend", StringComparison.Ordinal),
                string.Join(" | ", wrapper.Calls));
        }
        await using var vm = await PreparePausedOnArrivalAsync($"km-{kind}", kind);
        using (var wrapper = new KillingVirsh(migrate, KillMoment.AfterCall, ["virsh", "ssh", "rsync"]))
        {
            var killed = await RunAsync(vm, shared: false, wrapper);
            Assert.True(wrapper.Killed, $"virsh migrate was not reached; calls: {string.Join(" | ", wrapper.Calls.Select(Label))}; {killed}");
            await wrapper.AssertKilledAsync(killed, KillMoment.AfterCall);
        }
        Assert.Empty(await LeftProcessesAfterAsync(vm, TimeSpan.FromSeconds(60)));
        Assert.Equal("paused", await B.StateAsync(vm.Name));
        Assert.Null(await TestVirsh.StateAsync(vm.Name));

        var again = await RunAsync(vm, shared: false, null);

        ProtocolAssert.Succeeded(again);
        Assert.Contains($"{vm.Name} is gone from localhost and paused on {B.Name}: an earlier migration was cut off", again.Stderr);
        Assert.Equal("running", await B.StateAsync(vm.Name));
        Assert.Null(await TestVirsh.StateAsync(vm.Name));
        if (kind == "nvram")
        {
            // OVMF wrote them: a copy of the template (what libvirt makes there when the file is missing) would not do
            Assert.NotEqual(await MigrateStorageSpecs.Md5Async("/usr/share/OVMF/OVMF_VARS_4M.fd"), await MigrateStorageSpecs.Md5Async(vm.File("VARS.fd")));
            Assert.Equal(await MigrateStorageSpecs.Md5Async(vm.File("VARS.fd")), await MigrateStorageSpecs.Md5Async(B.Own(vm.Named("VARS.fd"))));
            return;
        }
        Assert.Equal("snap-0", (await B.CheckedAsync("snapshot-list", "--domain", vm.Name, "--name")).Trim());
        var there = B.Own(vm.Named("disk.0"));
        Assert.Equal(await MigrateStorageSpecs.RawMd5Async(vm.File("disk.0"), null), await MigrateStorageSpecs.RawMd5Async(there, null));
        Assert.Equal(await MigrateStorageSpecs.RawMd5Async(vm.File("disk.0"), "snap-0"), await MigrateStorageSpecs.RawMd5Async(there, "snap-0"));
    }

    /// <summary>
    /// A diskless domain running here with, in its (not shared) directory, a qcow2 disk holding the internal snapshot snap-0
    /// or its UEFI variables VARS.fd.
    /// </summary>
    private async Task<LocalVm> PreparePausedOnArrivalAsync(string purpose, string kind)
    {
        var vm = await LocalVm.CreateAsync(hosts, purpose);
        if (kind == "nvram")
        {
            vm.AddUefiVariables("VARS.fd");
            await vm.StartAsync();
            // OVMF writes its variables as it boots: done by then
            await Task.Delay(TimeSpan.FromSeconds(5));
            return vm;
        }
        await vm.AddQcow2DiskAsync("vda", 0, "16M", written: "2M");
        await vm.StartAsync();
        await TestVirsh.CheckedAsync("snapshot-create-as", "--domain", vm.Name, "--name", "snap-0");
        return vm;
    }

    /// <summary>A diskless domain with a qcow2 disk on storage both hosts see, and snap-0 taken by snapshot_create.</summary>
    private async Task<LocalVm> PrepareWithSnapshotAsync(string purpose)
    {
        var image = Path.Combine(TestPaths.NewScratchDirectory("km-snap"), "disk.0");
        Assert.Equal(0, (await ProcessRun.RunAsync("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"])).ExitCode);
        var vm = await LocalVm.CreateAsync(hosts, purpose, xml: DomainXml.Diskless("x").WithDevice(LifecycleXml.FileDisk(image, "qcow2", "vda")));
        await vm.StartAsync();
        ProtocolAssert.Succeeded(await Driver.RunWithStdinAsync("snapshot_create", "<VMM_DRIVER_ACTION_DATA/>", vm.Name, "0", vm.Id, "localhost"));
        return vm;
    }

    /// <summary>snap-0 is in libvirt where the VM runs (the current one), and a revert to it works there.</summary>
    private async Task AssertSnapshotWhereItRunsAsync(LocalVm vm, bool here)
    {
        Func<string[], Task<string>> virsh = here ? TestVirsh.CheckedAsync : B.CheckedAsync;
        Assert.Equal("snap-0", (await virsh(["snapshot-list", "--domain", vm.Name, "--name"])).Trim());
        Assert.Equal("snap-0", (await virsh(["snapshot-current", "--domain", vm.Name, "--name"])).Trim());
        await virsh(["snapshot-revert", "--domain", vm.Name, "--snapshotname", "snap-0", "--force"]);
        Assert.Equal("running", here ? await TestVirsh.StateAsync(vm.Name) : await B.StateAsync(vm.Name));
    }

    private async Task KillAtEveryStepAsync(string purpose, bool shared)
    {
        string[] steps;
        await using (var dry = await PrepareAsync($"km-{purpose}-dry", shared))
        {
            using var wrapper = new KillingVirsh(0, KillMoment.Never, ["virsh", "ssh", "rsync"]);
            var result = await RunAsync(dry, shared, wrapper);
            ProtocolAssert.Succeeded(result);
            await AssertMigratedAsync(dry, shared);
            steps = wrapper.Calls;
        }
        Assert.NotEmpty(steps);
        output.WriteLine($"{purpose}: {steps.Length} calls: {string.Join(" | ", steps.Select(Label))}");

        var failures = new KillPointFailures(output);
        foreach (var (n, verb, moment, when) in KillingVirsh.Points([.. steps.Select(Label)], LongVerbs))
        {
            var label = $"migrate ({purpose}) killed {when} call {n} ({verb})";
            await using var vm = await PrepareAsync($"km-{purpose}-{n}{when[0]}", shared);
            var disk = shared ? null : await MigrateStorageSpecs.Md5Async(vm.File("disk.0"));
            using var wrapper = new KillingVirsh(n, moment, ["virsh", "ssh", "rsync"]);
            var killed = await RunAsync(vm, shared, wrapper);
            if (!wrapper.Killed)
            {
                failures.Add(label, $"the call was not reached this time; calls: {string.Join(" | ", wrapper.Calls.Select(Label))}; {killed}");
                continue;
            }
            ProcessResult? again = null;
            try
            {
                // the call onekvm left lives as long as its job (libvirt's migration, the copy), then ends
                label += await wrapper.AssertKilledAsync(killed, moment);
                // reads onekvm ran side by side with the killed call finish on their own; none may go on past its job
                Assert.Empty(await LeftProcessesAfterAsync(vm, TimeSpan.FromSeconds(60)));
                var here = await AssertOnOneHostAsync(vm);
                if (here && disk is not null)
                {
                    Assert.Equal(disk, await MigrateStorageSpecs.Md5Async(vm.File("disk.0")));
                }
                var leftover = "";
                if (here && !shared)
                {
                    // what oned runs next: the TM driver's premigrate (ssh) removes the VM directory on the destination, then migrate
                    leftover = (await B.InsideAsync("ls", "-A", vm.Directory)).Stdout.ReplaceLineEndings(" ").Trim();
                    await B.InsideAsync("rm", "-rf", "--", vm.Directory);
                }
                again = await RunAsync(vm, shared, null);
                ProtocolAssert.Succeeded(again);
                await AssertMigratedAsync(vm, shared);
                output.WriteLine($"{label}: held ({(here ? "here" : "there")} after the kill{(leftover.Length > 0 ? $", left on {B.Name}: {leftover}" : "")}); run again: {FirstInfo(again)}");
            }
            catch (XunitException e)
            {
                failures.Add(label, e, killed, "run again", again);
            }
        }
        failures.AssertNone();
    }

    /// <summary>A diskless domain running here; on a datastore that is not shared, with a raw disk and a CD-ROM in its directory.</summary>
    private async Task<LocalVm> PrepareAsync(string purpose, bool shared)
    {
        var vm = await LocalVm.CreateAsync(hosts, purpose);
        if (!shared)
        {
            await vm.AddRawDiskAsync("vda", 0, "16M", written: "2M");
            await vm.AddCdromAsync("hdc", 1);
        }
        await vm.StartAsync();
        return vm;
    }

    private Task<ProcessResult> RunAsync(LocalVm vm, bool shared, KillingVirsh? wrapper, Driver? driver = null)
    {
        driver ??= Driver;
        var data = vm.ActionData();
        if (shared)
        {
            data = data.Replace("<SHARED>NO</SHARED>", "<SHARED>YES</SHARED>", StringComparison.Ordinal);
        }
        return (wrapper is null ? driver : driver.WithPathFirst(wrapper.Directory))
            .RunWithStdinAsync("migrate", data, vm.Name, B.Name, "localhost", vm.Id, "localhost");
    }

    /// <summary>
    /// The VM runs on exactly one of the two hosts (never both, never neither, never left paused); true when here.
    /// libvirt's own end of a migration may take a moment on either side: looked at for up to 10 s.
    /// </summary>
    private async Task<bool> AssertOnOneHostAsync(LocalVm vm)
    {
        string? here = null, there = null;
        for (var i = 0; i < 50; i++)
        {
            here = await TestVirsh.StateAsync(vm.Name);
            there = await B.StateAsync(vm.Name);
            if ((here == "running") != (there == "running") && (here is null || there is null || here == "shut off" || there == "shut off"))
            {
                return here == "running";
            }
            await Task.Delay(200);
        }
        Assert.Fail($"after the kill {vm.Name} is {here ?? "absent"} here and {there ?? "absent"} on {B.Name}");
        return false;
    }

    private async Task AssertMigratedAsync(LocalVm vm, bool shared)
    {
        Assert.Equal("running", await B.StateAsync(vm.Name));
        Assert.Null(await TestVirsh.StateAsync(vm.Name));
        if (!shared)
        {
            foreach (var file in new[] { "disk.0", "disk.1" })
            {
                Assert.True(B.HasOwn(vm.Named(file)), $"{file} did not arrive on {B.Name}");
                Assert.Equal(await MigrateStorageSpecs.Md5Async(vm.File(file)), await MigrateStorageSpecs.Md5Async(B.Own(vm.Named(file))));
            }
        }
    }

    /// <summary>The processes of <see cref="LeftProcesses"/> still there once they all ended or <paramref name="limit"/> passed.</summary>
    internal static async Task<string[]> LeftProcessesAfterAsync(LocalVm vm, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var left = LeftProcesses(vm);
        while (left.Length > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            left = LeftProcesses(vm);
        }
        return left;
    }

    /// <summary>virsh, ssh or rsync processes still at work on this VM (its name or directory in their argv).</summary>
    private static string[] LeftProcesses(LocalVm vm)
    {
        var left = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out _))
            {
                continue;
            }
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (argv.Length > 0 && Path.GetFileName(argv[0]) is "virsh" or "ssh" or "rsync" or "bash"
                    && argv.Any(a => a.Contains(vm.Name, StringComparison.Ordinal) || a.Contains(vm.Directory, StringComparison.Ordinal)))
                {
                    left.Add(string.Join(' ', argv));
                }
            }
            catch (IOException)
            {
            }
        }
        return [.. left];
    }

    /// <summary>"virsh-verb", "rsync", or "ssh" with the first word of its remote command line.</summary>
    internal static string Label(string call)
    {
        var words = call.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return call;
        }
        if (words[0] == "ssh")
        {
            var host = Array.IndexOf(words, "--");
            return host >= 0 && host + 2 < words.Length ? $"ssh {words[host + 2]}" : "ssh";
        }
        if (words[0] == "rsync")
        {
            return words.Contains("--relative") ? "rsync --relative" : words.Contains("-I") ? "rsync -I" : "rsync";
        }
        return words.FirstOrDefault(w => !w.StartsWith('-') && !w.Contains("://", StringComparison.Ordinal)) ?? call;
    }

    private static string FirstInfo(ProcessResult result) =>
        ProtocolAssert.LogLines(result, "INFO").FirstOrDefault() ?? "(no INFO line)";
}
