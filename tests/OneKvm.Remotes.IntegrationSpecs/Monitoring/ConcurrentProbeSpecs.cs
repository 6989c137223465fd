using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.IntegrationSpecs.Lifecycle;
using Xunit;
using Xunit.Abstractions;

namespace OneKvm.Remotes.IntegrationSpecs.Monitoring;

/// <summary>
/// oned serialises the actions on a VM, but not the probes: the monitor daemon may start a probe
/// while the last one still runs, and while a save or restore changes the VM. Ten probes started at
/// once, against a real one-N domain, while it is suspended, saved and restored: each change is
/// reported by one of them only, and their state files stay whole. And the probes of two hosts while
/// a live migration moves a VM between them.
/// </summary>
public sealed class ConcurrentProbeSpecs(ITestOutputHelper output) : IDisposable
{
    private const int Probes = 10;

    private readonly ProbeHost _probe = new();

    [Fact]
    public async Task Ten_state_probes_at_once_around_a_save_and_a_restore_report_each_change_once_and_keep_their_state_file_whole()
    {
        await using var scratch = new Scratch("probes-save");
        var xml = DomainXml.Diskless(MonitoredDomains.OneName()).WithElement(LifecycleXml.OneMetadata(scratch.VmDirectory));
        await scratch.StartAsync(xml);
        var id = int.Parse(xml.Name["one-".Length..], CultureInfo.InvariantCulture);
        ProtocolAssert.Succeeded(await _probe.StatesAsync());

        await TestVirsh.CheckedAsync("suspend", xml.Name);
        var suspended = Ours(await TenAtOnceAsync(() => _probe.StatesAsync()), id);
        await TestVirsh.CheckedAsync("resume", xml.Name);
        var resumed = Ours(await TenAtOnceAsync(() => _probe.StatesAsync()), id);

        var save = Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId),
            xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");
        var duringSave = Ours(await TenAtOnceAsync(() => _probe.StatesAsync()), id);
        ProtocolAssert.Succeeded(await save);
        var restore = Driver.Staged.RunWithStdinAsync("restore", LifecycleXml.ActionData(scratch.VmId),
            scratch.Checkpoint, "localhost", xml.Name, scratch.Vm, "localhost");
        var duringRestore = Ours(await TenAtOnceAsync(() => _probe.StatesAsync()), id);
        ProtocolAssert.Succeeded(await restore);

        Assert.Equal(["SUSPENDED"], suspended);
        Assert.Equal(["RUNNING"], resumed);
        // a probe may see the domain go (or come back) or not, but no state twice in one batch
        Assert.Equal(duringSave.Distinct(), duringSave);
        Assert.Equal(duringRestore.Distinct(), duringRestore);
        AssertWhole(_probe.StatesFile, "onekvm-vm-states 1");
    }

    [Fact]
    public async Task Ten_monitor_probes_at_once_each_report_the_vm_once_with_a_sane_cpu_and_keep_their_samples_whole()
    {
        await using var set = new MonitoredDomains();
        var domain = (await set.StartDisklessAsync(1))[0];
        var id = MonitoredDomains.IdOf(domain);
        ProtocolAssert.Succeeded(await _probe.MonitorAsync());

        var results = await TenAtOnceAsync(_probe.MonitorAsync);

        foreach (var result in results)
        {
            var report = Assert.Single(ProbeOutput.Monitor(result.Stdout), r => r.Id == id);
            Assert.InRange(report.Cpu, 0, 100 * Environment.ProcessorCount);
        }
        AssertWhole(_probe.SamplesFile, null);
    }

    /// <summary>
    /// A live migration between two private peers (tests/peer/peer.py), held to 1 MiB/s (virsh migrate --bandwidth in
    /// MIGRATE_OPTIONS) of a guest whose memory holds 12 MiB of random bytes (a kernel with a random initrd), so that it
    /// lasts over ten seconds; meanwhile both hosts run their state and monitor probes again and again. As upstream's
    /// probes (im_mad lib/kvm.rb): libvirt keeps the source running (paused for the switchover) and the destination
    /// paused (migrating) until it, both of which read RUNNING; the source's probe then reports the VM no more (its
    /// state probe says POWEROFF once, after probe_db.conf's 5 :times_missing:), the destination's reports it running.
    /// </summary>
    // Soak: in CI run 1 of stop 22 (a busy 2-core host) the 1 MiB/s migration of this guest ran 122 s and ended in QEMU's
    // "Resetting the Virtual Machine is required"; on a quieter host it took about 10 s. Until the cause is found, it runs
    // with the soak specs (dotnet test --filter Category=Soak), not in CI.
    [Trait("Category", "Soak")]
    [Fact]
    public async Task The_probes_of_both_hosts_during_a_live_migration_report_the_vm_running_once_each_and_after_it_only_the_destination_does()
    {
        var directory = TestPaths.NewScratchDirectory("probes-migrate");
        var source = await PeerLibvirtd.StartAsync("pa", Path.Combine(directory, "peer-a"), "onekvm-peer-pa");
        PeerLibvirtd? destination = null;
        using var onSource = new ProbeHost();
        using var onDestination = new ProbeHost();
        try
        {
            destination = await PeerLibvirtd.StartAsync("pb", Path.Combine(directory, "peer-b"), "onekvm-peer-pb");
            onSource.Driver = onSource.Driver.WithKvmrc($"LIBVIRT_URI={source.Uri}\n");
            onDestination.Driver = onDestination.Driver.WithKvmrc($"LIBVIRT_URI={destination.Uri}\n");
            var name = MonitoredDomains.OneName();
            var id = int.Parse(name["one-".Length..], CultureInfo.InvariantCulture);
            await source.CheckedAsync("create", await SlowToMigrateAsync(directory, name));
            // the first reports: the VM is new on the source, the destination has none
            Assert.Equal(["RUNNING"], States(await onSource.StatesAsync(), id));
            Assert.Empty(States(await onDestination.StatesAsync(), id));

            var migrate = Driver.Staged.WithKvmrc($"""
                LIBVIRT_URI={source.Uri}
                QEMU_PROTOCOL=qemu+tcp
                MIGRATE_OPTIONS="--migrateuri tcp://127.0.0.1 --bandwidth 1"
                SYNC_TIME=no
                """).RunWithStdinAsync("migrate", LifecycleXml.ActionData(id), name, destination.Host, "localhost", id.ToString(CultureInfo.InvariantCulture), "localhost");
            var clock = Stopwatch.StartNew();
            var during = new List<Run>();
            var probing = new[]
            {
                RepeatAsync(onSource, "source", migrate, during, clock), RepeatAsync(onDestination, "destination", migrate, during, clock),
            };
            var incomingStates = new List<string>();
            while (!migrate.IsCompleted)
            {
                if (await destination.VirshAsync("domstate", "--reason", name) is { ExitCode: 0 } state)
                {
                    incomingStates.Add(state.Stdout.Trim());
                }
                await Task.Delay(200);
            }
            ProtocolAssert.Succeeded(await migrate);
            var ended = clock.Elapsed;
            await Task.WhenAll(probing);
            output.WriteLine($"migration: {ended.TotalSeconds:0.0} s; probe runs: {during.Count(r => r.Host == "source" && r.Ended < ended)} on the source, "
                + $"{during.Count(r => r.Host == "destination" && r.Ended < ended)} on the destination; the destination's domain was "
                + string.Join(", ", incomingStates.Distinct()));
            // libvirt holds the incoming domain paused until the switchover (upstream's probe reads that as RUNNING)
            Assert.Contains("paused (migrating)", incomingStates);
            Assert.Equal("running", await destination.StateAsync(name));
            Assert.Null(await source.StateAsync(name));

            foreach (var run in during)
            {
                ProtocolAssert.Succeeded(run.Result);
            }
            // the probes surely ran during the migration: runs of each host began and ended inside it
            Assert.All(new[] { "source", "destination" }, host =>
                Assert.True(during.Count(r => r.Host == host && r.Ended < ended) >= 4, $"too few probe runs on the {host} during the migration"));
            var sourceStates = during.Where(r => r.Host == "source" && r.State).Select(r => States(r.Result, id)).ToList();
            var destinationStates = during.Where(r => r.Host == "destination" && r.State).Select(r => States(r.Result, id)).ToList();
            // on the destination: new there (paused for the migration reads RUNNING), reported by one run only, never again
            Assert.Equal(["RUNNING"], destinationStates.SelectMany(s => s));
            var sawIncoming = during.Where(r => r.Host == "destination" && r.Ended < ended).ToList();
            Assert.Contains(sawIncoming, r => r.State ? States(r.Result, id).Count == 1 : Monitors(r.Result, id).Count == 1);
            foreach (var run in during.Where(r => !r.State))
            {
                var report = Monitors(run.Result, id);
                Assert.True(report.Count <= 1, $"the {run.Host}'s monitor probe reported the VM {report.Count} times in one run");
                Assert.All(report, r => Assert.InRange(r.Cpu, 0, 100 * Environment.ProcessorCount));
            }
            // the source reported it until the switchover: its first monitor runs saw it
            Assert.Single(Monitors(during.First(r => r.Host == "source" && !r.State).Result, id));

            // after the switchover: the source reports it no more, the destination does
            Assert.Empty(Monitors(await onSource.MonitorAsync(), id));
            Assert.Single(Monitors(await onDestination.MonitorAsync(), id));
            Assert.Empty(States(await onDestination.StatesAsync(), id));
            // on the source: known RUNNING, so nothing until it has been missing 5 times, then POWEROFF once, and forgotten
            var missing = sourceStates.SelectMany(s => s).ToList();
            for (var i = 0; i < 7; i++)
            {
                missing.AddRange(States(await onSource.StatesAsync(), id));
            }
            Assert.Equal(["POWEROFF"], missing);
            foreach (var probe in new[] { onSource, onDestination })
            {
                AssertWhole(probe, probe.StatesFile, "onekvm-vm-states 1");
                AssertWhole(probe, probe.SamplesFile, null);
            }
        }
        finally
        {
            if (destination is not null)
            {
                await destination.StopAsync();
            }
            await source.StopAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed record Run(string Host, bool State, ProcessResult Result, TimeSpan Ended);

    /// <summary>Runs the host's state and monitor probes in turn until <paramref name="until"/> ends, recording each run.</summary>
    private static async Task RepeatAsync(ProbeHost probe, string host, Task until, List<Run> runs, Stopwatch clock)
    {
        while (!until.IsCompleted)
        {
            foreach (var state in new[] { true, false })
            {
                var result = state ? await probe.StatesAsync() : await probe.MonitorAsync();
                lock (runs)
                {
                    runs.Add(new Run(host, state, result, clock.Elapsed));
                }
            }
        }
    }

    /// <summary>A one-N domain (KVM) whose memory holds random bytes: a kernel whose initrd is random, loaded and never freed (it panics).</summary>
    private static async Task<string> SlowToMigrateAsync(string directory, string name)
    {
        var initrd = Path.Combine(directory, "random.img");
        var bytes = new byte[12 << 20];
        new Random(17).NextBytes(bytes);
        await File.WriteAllBytesAsync(initrd, bytes);
        var xml = DomainXml.Diskless(name).Transform(d =>
        {
            d.Element("memory")!.ReplaceWith(new XElement("memory", new XAttribute("unit", "MiB"), 256));
            var os = d.Element("os")!;
            os.Elements().Where(e => e.Name != "type").Remove();
            os.Add(new XElement("kernel", Path.Combine(TestPaths.GuestDirectory, "vmlinuz")), new XElement("initrd", initrd),
                new XElement("cmdline", "console=ttyS0 panic=0"));
        });
        var definition = Path.Combine(directory, name + ".xml");
        await File.WriteAllTextAsync(definition, xml.ToString());
        return definition;
    }

    private static List<string> States(ProcessResult result, int id)
    {
        ProtocolAssert.Succeeded(result);
        return [.. ProbeOutput.States(result.Stdout).Vms.Where(v => v.Id == id).Select(v => v.State)];
    }

    private static List<MonitorReport> Monitors(ProcessResult result, int id)
    {
        ProtocolAssert.Succeeded(result);
        return [.. ProbeOutput.Monitor(result.Stdout).Where(r => r.Id == id)];
    }

    private static async Task<ProcessResult[]> TenAtOnceAsync(Func<Task<ProcessResult>> probe)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, Probes).Select(_ => Task.Run(probe)));
        foreach (var result in results)
        {
            ProtocolAssert.Succeeded(result);
        }
        return results;
    }

    /// <summary>The states reported for VM <paramref name="id"/> over all the runs, in no order.</summary>
    private static List<string> Ours(IEnumerable<ProcessResult> results, int id) =>
        [.. results.SelectMany(r => ProbeOutput.States(r.Stdout).Vms).Where(v => v.Id == id).Select(v => v.State)];

    /// <summary>The file parses line by line (no half line, no line of two writers), and no temporary file is left beside it.</summary>
    private void AssertWhole(string file, string? header) => AssertWhole(_probe, file, header);

    private static void AssertWhole(ProbeHost probe, string file, string? header)
    {
        var lines = File.ReadAllLines(file);
        if (header is not null)
        {
            Assert.Equal(header, lines[0]);
        }
        Assert.True(File.ReadAllText(file).EndsWith('\n'), "the state file ends in the middle of a line");
        Assert.Equal(lines.Distinct(), lines);
        Assert.Empty(Directory.GetFiles(probe.RunDirectory, "*.tmp"));
    }

    public void Dispose() => _probe.Dispose();
}
