using System.Diagnostics;
using System.Globalization;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// Live migrations between real libvirt daemons: this machine's (the source of migrate)
/// and two peers in their own namespaces (B and C), which share the file system as a
/// shared system datastore would.
/// </summary>
public sealed class MigrateSpecs(PeerHypervisors peers) : IClassFixture<PeerHypervisors>
{
    // the peers advertise host names nobody resolves: the migration stream goes to loopback
    private const string Kvmrc = """
        QEMU_PROTOCOL=qemu+tcp
        MIGRATE_OPTIONS="--migrateuri tcp://127.0.0.1"
        """;

    private static Driver Driver => Driver.Staged.WithKvmrc(Kvmrc);

    private PeerHypervisor B => peers.B;

    [Fact]
    public async Task A_running_vm_moves_to_the_destination_and_nothing_of_it_stays_behind()
    {
        await using var scratch = new Scratch("migrate");
        var xml = scratch.Diskless("migrate");
        await TestDomain.StartAsync(xml, persistent: true); // the scratch removes it by name

        var result = await Driver.RunWithStdinAsync("migrate", ActionData(scratch), xml.Name, B.Host, "localhost", scratch.Vm, "localhost");

        try
        {
            ProtocolAssert.Succeeded(result);
            Assert.Equal("", result.Stdout);
            Assert.Equal("running", await B.StateAsync(xml.Name));
            Assert.Contains("Persistent:     yes", await B.CheckedAsync("dominfo", xml.Name));
            Assert.Null(await TestVirsh.StateAsync(xml.Name));
        }
        finally
        {
            await B.RemoveAsync(xml.Name);
        }
    }

    [Fact]
    public async Task Snapshots_travel_with_the_vm_although_libvirt_refuses_to_migrate_a_domain_that_has_some()
    {
        await using var scratch = new Scratch("migrate-snap");
        var xml = await scratch.WithQcow2DiskAsync("migrate-snap");
        await scratch.StartAsync(xml);
        await TestVirsh.CheckedAsync("snapshot-create-as", "--domain", xml.Name, "--name", "snap-0");
        await TestVirsh.CheckedAsync("snapshot-create-as", "--domain", xml.Name, "--name", "snap-1");
        await TestVirsh.CheckedAsync("snapshot-revert", "--domain", xml.Name, "--snapshotname", "snap-0");

        // the disk is a local file: libvirt calls that unsafe unless told the storage is shared
        var driver = Driver.Staged.WithKvmrc(Kvmrc.Replace("tcp://127.0.0.1", "tcp://127.0.0.1 --unsafe", StringComparison.Ordinal));
        var result = await driver.RunWithStdinAsync("migrate", ActionData(scratch), xml.Name, B.Host, "localhost", scratch.Vm, "localhost");

        try
        {
            ProtocolAssert.Succeeded(result);
            Assert.Equal("running", await B.StateAsync(xml.Name));
            Assert.Equal(["snap-0", "snap-1"], Lines(await B.CheckedAsync("snapshot-list", "--domain", xml.Name, "--name", "--topological")));
            Assert.Equal("snap-0", (await B.CheckedAsync("snapshot-current", "--domain", xml.Name, "--name")).Trim());
            Assert.Equal("snap-0", (await B.CheckedAsync("snapshot-parent", "--domain", xml.Name, "--snapshotname", "snap-1")).Trim());
            // the carried metadata is usable: the destination reverts to it
            await B.CheckedAsync("snapshot-revert", "--domain", xml.Name, "--snapshotname", "snap-1");
            Assert.Null(await TestVirsh.StateAsync(xml.Name));
        }
        finally
        {
            await B.RemoveAsync(xml.Name);
        }
    }

    [Fact]
    public async Task A_migration_libvirt_refuses_leaves_the_vm_running_here_with_its_snapshots()
    {
        await using var scratch = new Scratch("migrate-refused");
        var xml = await scratch.WithQcow2DiskAsync("migrate-refused");
        await scratch.StartAsync(xml);
        await TestVirsh.CheckedAsync("snapshot-create-as", "--domain", xml.Name, "--name", "snap-0");

        // without --unsafe, libvirt refuses a local qcow2 disk: after onekvm set the snapshot metadata aside
        var result = await Driver.RunWithStdinAsync("migrate", ActionData(scratch), xml.Name, B.Host, "localhost", scratch.Vm, "localhost");

        var error = ProtocolAssert.Failed(result);
        Assert.StartsWith($"Could not migrate {xml.Name} to {B.Host}: ", error);
        Assert.EndsWith("it keeps running on localhost.", error);
        Assert.Contains("nsafe migration", result.Stderr);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.Equal(["snap-0"], Lines(await TestVirsh.CheckedAsync("snapshot-list", "--domain", xml.Name, "--name")));
        Assert.Equal("snap-0", (await TestVirsh.CheckedAsync("snapshot-current", "--domain", xml.Name, "--name")).Trim());
        Assert.Null(await B.StateAsync(xml.Name));
    }

    [Fact]
    public async Task An_unreachable_destination_is_found_out_before_anything_changes()
    {
        await using var scratch = new Scratch("migrate-unreach");
        var xml = scratch.Diskless("migrate-unreach");
        await TestDomain.StartAsync(xml, persistent: true); // the scratch removes it by name
        var nowhere = "127.0.0.1:" + PeerHypervisor.FreeLoopbackPort().ToString(CultureInfo.InvariantCulture);

        var result = await Driver.RunWithStdinAsync("migrate", ActionData(scratch), xml.Name, nowhere, "localhost", scratch.Vm, "localhost");

        var error = ProtocolAssert.Failed(result);
        Assert.StartsWith($"Could not reach {nowhere} (qemu+tcp://{nowhere}/system): ", error);
        Assert.EndsWith($"{xml.Name} was not migrated and keeps running on localhost.", error);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.Contains("Persistent:     yes", await TestVirsh.CheckedAsync("dominfo", xml.Name));
    }

    [Fact]
    public async Task A_vm_that_already_runs_on_the_destination_is_never_started_there_twice()
    {
        await using var scratch = new Scratch("migrate-twice");
        var xml = scratch.Diskless("migrate-twice");
        await TestDomain.StartAsync(xml, persistent: true); // the scratch removes it by name
        var file = Path.Combine(scratch.Root, "on-b.xml");
        await File.WriteAllTextAsync(file, xml.ToString());
        await B.CheckedAsync("create", file);

        try
        {
            var result = await Driver.RunWithStdinAsync("migrate", ActionData(scratch), xml.Name, B.Host, "localhost", scratch.Vm, "localhost");

            var error = ProtocolAssert.Failed(result);
            Assert.Equal($"Domain {xml.Name} is already running on {B.Host}; nothing was migrated.", error);
            Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
            Assert.Equal("running", await B.StateAsync(xml.Name));
        }
        finally
        {
            await B.RemoveAsync(xml.Name);
        }
    }

    [Fact]
    public async Task A_signal_during_the_migration_aborts_it_and_the_vm_keeps_running_here()
    {
        await using var scratch = new Scratch("migrate-signal");
        var xml = scratch.Diskless("migrate-signal");
        await TestDomain.StartAsync(xml, persistent: true); // the scratch removes it by name
        var kvmrc = Path.Combine(scratch.Root, "kvmrc");
        // 1 MiB/s leaves time to catch the destination before the copy is over
        await File.WriteAllTextAsync(kvmrc, Kvmrc.Replace("tcp://127.0.0.1", "tcp://127.0.0.1 --bandwidth 1", StringComparison.Ordinal));

        var psi = new ProcessStartInfo(TestPaths.Action("migrate"), [xml.Name, B.Host, "localhost", scratch.Vm, "localhost"])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardError = true,
        };
        psi.Environment["ONEKVM_KVMRC"] = kvmrc;
        using var action = Process.Start(psi)!;
        await action.StandardInput.WriteAsync(ActionData(scratch));
        action.StandardInput.Close();
        var stderr = action.StandardError.ReadToEndAsync();

        // the destination's QEMU, stopped, holds the migration stream: the job cannot finish
        var incoming = await WaitForIncomingQemuAsync(xml.Name, TimeSpan.FromSeconds(30));
        Assert.True(incoming > 0, "the destination never started its incoming QEMU");
        try
        {
            Send("STOP", incoming);
            await Task.Delay(1000);
            Assert.False(action.HasExited, "the migration finished before the destination was stopped");
            Send("TERM", action.Id);
            // the destination resumes only once onekvm has aborted the job here: resumed earlier, it could
            // take the rest of the stream and finish the migration first (then success is the right answer,
            // but not what this spec is about; seen once in CI)
            Assert.True(await WaitAsync(async () => !(await TestVirsh.RunAsync("domjobinfo", "--domain", xml.Name)).Stdout
                    .Contains("Unbounded", StringComparison.Ordinal), TimeSpan.FromSeconds(30)),
                "the migration job here was not aborted while the destination was stopped");
            // a destination that stays stopped keeps libvirt's job lock there: its copy could not be removed
            Send("CONT", incoming);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await action.WaitForExitAsync(wait.Token);
        }
        finally
        {
            Send("CONT", incoming);
        }
        var result = new ProcessResult(action.ExitCode, "", await stderr, TimeSpan.Zero);

        try
        {
            var error = ProtocolAssert.Failed(result);
            var expected = $"The migration of {xml.Name} to {B.Host} was interrupted by a signal and aborted; it keeps running on localhost.";
            Assert.True(error == expected, result.ToString());
            Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
            Assert.True(await WaitAsync(async () => await B.StateAsync(xml.Name) is null, TimeSpan.FromSeconds(30)),
                "the aborted incoming copy stayed on the destination");
        }
        finally
        {
            await B.RemoveAsync(xml.Name);
        }
    }

    [Fact]
    public async Task Migrate_local_moves_a_vm_between_two_other_hosts_from_the_front_end()
    {
        var C = peers.C;
        await using var scratch = new Scratch("migrate-local");
        var xml = scratch.Diskless("migrate-local");
        var file = Path.Combine(scratch.Root, "on-b.xml");
        await File.WriteAllTextAsync(file, xml.ToString());
        await B.CheckedAsync("define", file);
        await B.CheckedAsync("start", xml.Name);

        try
        {
            var result = await Driver.RunWithStdinAsync("migrate_local", ActionData(scratch), xml.Name, C.Host, B.Host, scratch.Vm, B.Host);

            ProtocolAssert.Succeeded(result);
            Assert.Equal("running", await C.StateAsync(xml.Name));
            Assert.Null(await B.StateAsync(xml.Name));
            Assert.Null(await TestVirsh.StateAsync(xml.Name));
        }
        finally
        {
            await B.RemoveAsync(xml.Name);
            await C.RemoveAsync(xml.Name);
        }
    }

    [Fact]
    public async Task A_host_name_that_ssh_or_libvirt_would_read_as_an_option_is_refused()
    {
        var result = await Driver.RunWithStdinAsync("migrate", "", "one-1", "-oProxyCommand=touch /tmp/x", "localhost", "1", "localhost");

        var error = ProtocolAssert.Failed(result);
        Assert.Equal("'-oProxyCommand=touch /tmp/x' is not a host name.", error);
    }

    private static string ActionData(Scratch scratch) => LifecycleXml.ActionData(scratch.VmId);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The pid of the QEMU that waits for <paramref name="domain"/>'s incoming migration, or 0.</summary>
    private static async Task<int> WaitForIncomingQemuAsync(string domain, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid))
                {
                    continue;
                }
                string[] argv;
                try
                {
                    argv = (await File.ReadAllTextAsync(Path.Combine(dir, "cmdline"))).Split('\0');
                }
                catch (IOException)
                {
                    continue;
                }
                if (argv.Contains("-incoming") && argv.Any(a => a.StartsWith($"guest={domain},", StringComparison.Ordinal)))
                {
                    return pid;
                }
            }
            await Task.Delay(20);
        }
        return 0;
    }

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(250);
        }
        return await condition();
    }

    private static void Send(string signal, int pid) =>
        Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
}
