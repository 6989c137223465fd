using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// A running VM moved to another system datastore of its host (DS_LIVE_MIGRATE) when its qcow2
/// disks hold internal snapshots (OpenNebula's system snapshots), which QEMU's mirror does not
/// carry: the images are copied as files while the VM is paused, then mirrored into. The
/// snapshots must be in the new files, the image clean, every write of the guest there; a
/// signal during the paused copy leaves the VM running on its own files.
/// </summary>
public sealed class DatastoreMoveSnapshotSpecs(NonSharedHosts hosts) : IClassFixture<NonSharedHosts>
{
    private static Driver Driver => Driver.Staged.WithKvmrc("QEMU_PROTOCOL=qemu+tcp\n");

    [Fact]
    public async Task A_guest_writing_to_qcow2_disks_with_a_system_snapshot_moves_to_another_datastore_of_its_host_with_the_snapshot_and_every_write()
    {
        var (vm, console) = await WritingGuestWithSnapshotAsync("ds-snapmove");
        await using var _ = vm;
        var snapshotSum = await RawMd5Async(vm.File("disk.1"), "snap-0");

        var result = await Driver.RunWithStdinAsync("migrate", vm.ActionData(targetDatastore: 100), vm.Name, "localhost", "localhost", vm.Id, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Contains($"Pausing {vm.Name} to copy the image(s) of vda, vdb with their internal snapshots", result.Stderr);
        var moved = vm.In(100);
        Assert.Equal("running", await TestVirsh.StateAsync(vm.Name));
        var disks = await TestVirsh.CheckedAsync("domblklist", vm.Name);
        foreach (var (target, file) in new[] { ("vda", "disk.0"), ("vdb", "disk.1"), ("hdc", "disk.2") })
        {
            Assert.Matches($@"\b{target}\s+{Regex.Escape(Path.Combine(moved, file))}\s", disks + "\n");
        }
        Assert.Equal("snap-0", (await TestVirsh.CheckedAsync("snapshot-list", "--domain", vm.Name, "--name")).Trim());
        // its metadata names the new files: a revert brings back those, not the old ones the TM driver removes
        var snapshotXml = await TestVirsh.CheckedAsync("snapshot-dumpxml", "--domain", vm.Name, "--snapshotname", "snap-0");
        Assert.Contains(Path.Combine(moved, "disk.1"), snapshotXml);
        Assert.DoesNotContain(vm.Directory + "/", snapshotXml);
        foreach (var file in new[] { "disk.0", "disk.1" })
        {
            Assert.Contains("snap-0", await SnapshotListAsync(Path.Combine(moved, file)));
        }
        // it keeps writing to its new file; then it powers off and prints the md5 of what its disk holds
        await Task.Delay(2000);
        var sum = await PowerOffAsync(vm.Name, console);
        foreach (var file in new[] { "disk.0", "disk.1" })
        {
            var check = await ProcessRun.RunAsync("qemu-img", ["check", Path.Combine(moved, file)]);
            Assert.True(check.ExitCode == 0, $"qemu-img check of {file}: {check}");
        }
        Assert.Equal(sum, await RawMd5Async(Path.Combine(moved, "disk.1"), snapshot: null));
        // the snapshot holds what the disk held when it was taken
        Assert.Equal(snapshotSum, await RawMd5Async(Path.Combine(moved, "disk.1"), "snap-0"));
        Assert.Equal(await RawMd5Async(vm.File("disk.0"), "snap-0"), await RawMd5Async(Path.Combine(moved, "disk.0"), "snap-0"));
        Assert.Equal(await MigrateStorageSpecs.Md5Async(vm.File("disk.2")), await MigrateStorageSpecs.Md5Async(Path.Combine(moved, "disk.2")));
    }

    [Fact]
    public async Task A_signal_while_images_with_snapshots_are_copied_with_the_vm_paused_resumes_it_on_its_own_files_and_removes_the_new_directory()
    {
        var (vm, _) = await WritingGuestWithSnapshotAsync("ds-snapmove-term");
        await using var __ = vm;
        var moved = vm.In(100);
        var psi = new ProcessStartInfo(TestPaths.Action("migrate"), [vm.Name, "localhost", "localhost", vm.Id, "localhost"])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardError = true,
        };
        var kvmrc = Path.Combine(TestPaths.RunDirectory, $"kvmrc-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(kvmrc, "QEMU_PROTOCOL=qemu+tcp\n");
        psi.Environment["ONEKVM_KVMRC"] = kvmrc;
        using var action = Process.Start(psi)!;
        await action.StandardInput.WriteAsync(vm.ActionData(targetDatastore: 100));
        action.StandardInput.Close();
        var stderr = action.StandardError.ReadToEndAsync();

        // the copy of the paused VM's images, held so that the signal comes while it runs
        var rsync = await FindProcessAsync(argv => argv[0].EndsWith("rsync", StringComparison.Ordinal) && argv.Contains("--relative")
            && argv.Any(a => a.StartsWith(moved, StringComparison.Ordinal)), TimeSpan.FromSeconds(60));
        Assert.True(rsync > 0, "no rsync of the paused VM's images was seen");
        Send("STOP", rsync);
        Assert.Equal("paused", await TestVirsh.StateAsync(vm.Name));
        Send("TERM", action.Id);
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
        {
            await action.WaitForExitAsync(wait.Token);
        }
        Send("CONT", rsync);

        Assert.NotEqual(0, action.ExitCode);
        Assert.Contains("interrupted by a signal", await stderr);
        Assert.Equal("running", await TestVirsh.StateAsync(vm.Name));
        var disks = await TestVirsh.CheckedAsync("domblklist", vm.Name);
        Assert.Contains(vm.File("disk.1"), disks);
        Assert.DoesNotContain(moved, disks);
        Assert.Equal("snap-0", (await TestVirsh.CheckedAsync("snapshot-list", "--domain", vm.Name, "--name")).Trim());
        Assert.False(Directory.Exists(moved), $"{moved} was left behind");
    }

    /// <summary>A tiny guest writing to vdb (qcow2, as vda) with OpenNebula's system snapshot snap-0 taken by onekvm while it writes.</summary>
    private async Task<(LocalVm Vm, string Console)> WritingGuestWithSnapshotAsync(string purpose)
    {
        var console = Path.Combine(TestPaths.RunDirectory, $"console-{Guid.NewGuid():N}.log");
        var vm = await LocalVm.CreateAsync(hosts, purpose, xml: DomainXml.TinyGuest("guest", console, "onekvm.write=vdb", memoryMiB: 128));
        await vm.AddQcow2DiskAsync("vda", 0, "16M", written: "2M");
        await vm.AddQcow2DiskAsync("vdb", 1, "32M", written: "16M");
        await vm.AddCdromAsync("hdc", 2);
        await vm.StartAsync();
        Assert.True(await WaitForAsync(console, "ONEKVM-GUEST-WRITING vdb", TinyGuest.BootTimeout), "the guest never started writing:\n" + Read(console));
        var snapshot = await Driver.RunWithStdinAsync("snapshot_create", "<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST></VMM_DRIVER_ACTION_DATA>",
            vm.Name, "0", vm.Id, "localhost");
        ProtocolAssert.Succeeded(snapshot);
        Assert.Contains("snap-0", await SnapshotListAsync(vm.File("disk.1")));
        await Task.Delay(1000);
        return (vm, console);
    }

    /// <summary>The power button: the guest stops its writer (which must have written), prints the md5 of vdb and powers off.</summary>
    private static async Task<string> PowerOffAsync(string domain, string console)
    {
        await TestVirsh.CheckedAsync("shutdown", domain);
        Assert.True(await WaitForAsync(console, "ONEKVM-GUEST-POWEROFF", TimeSpan.FromMinutes(2)), "no power-off:\n" + Read(console));
        var wrote = Regex.Match(Read(console), "ONEKVM-GUEST-WROTE vdb ([0-9]+)").Groups[1].Value;
        Assert.True(int.Parse(wrote, CultureInfo.InvariantCulture) > 0, Read(console));
        for (var i = 0; i < 100 && await TestVirsh.StateAsync(domain) is not null and not "shut off"; i++)
        {
            await Task.Delay(200);
        }
        return Regex.Match(Read(console), "ONEKVM-GUEST-SUM vdb ([0-9a-f]{32})").Groups[1].Value;
    }

    private static string Read(string file) => File.Exists(file) ? File.ReadAllText(file) : "";

    private static async Task<bool> WaitForAsync(string console, string text, TimeSpan timeout)
    {
        for (var deadline = DateTime.UtcNow + timeout; DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            if (Read(console).Contains(text, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The pid of a process whose argv matches, or 0.</summary>
    private static async Task<int> FindProcessAsync(Func<string[], bool> matches, TimeSpan timeout)
    {
        for (var deadline = DateTime.UtcNow + timeout; DateTime.UtcNow < deadline; await Task.Delay(5))
        {
            foreach (var pid in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)))
            {
                try
                {
                    var argv = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                    if (argv.Length > 0 && matches(argv))
                    {
                        return int.Parse(pid!, CultureInfo.InvariantCulture);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
        return 0;
    }

    private static void Send(string signal, int pid) =>
        Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    private static Task<string> SnapshotListAsync(string image) => MigrateStorageSpecs.SnapshotListAsync(image);

    private static Task<string> RawMd5Async(string image, string? snapshot) => MigrateStorageSpecs.RawMd5Async(image, snapshot);
}
