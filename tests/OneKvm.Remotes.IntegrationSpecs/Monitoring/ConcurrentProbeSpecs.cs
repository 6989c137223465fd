using System.Globalization;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.IntegrationSpecs.Lifecycle;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Monitoring;

/// <summary>
/// oned serialises the actions on a VM, but not the probes: the monitor daemon may start a probe
/// while the last one still runs, and while a save or restore changes the VM. Ten probes started at
/// once, against a real one-N domain, while it is suspended, saved and restored: each change is
/// reported by one of them only, and their state files stay whole.
/// </summary>
public sealed class ConcurrentProbeSpecs : IDisposable
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
    private void AssertWhole(string file, string? header)
    {
        var lines = File.ReadAllLines(file);
        if (header is not null)
        {
            Assert.Equal(header, lines[0]);
        }
        Assert.True(File.ReadAllText(file).EndsWith('\n'), "the state file ends in the middle of a line");
        Assert.Equal(lines.Distinct(), lines);
        Assert.Empty(Directory.GetFiles(_probe.RunDirectory, "*.tmp"));
    }

    public void Dispose() => _probe.Dispose();
}
