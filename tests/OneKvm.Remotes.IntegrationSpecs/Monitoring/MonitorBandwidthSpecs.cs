using System.Diagnostics;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Monitoring;

/// <summary>The *_BW keys of the monitor probe: rates between two polls of real domains.</summary>
public sealed class MonitorBandwidthSpecs : IDisposable
{
    private static readonly (string Rate, string Counter)[] Keys =
    [
        ("NETRX_BW", "NETRX"), ("NETTX_BW", "NETTX"), ("DISKRDBYTES_BW", "DISKRDBYTES"),
        ("DISKWRBYTES_BW", "DISKWRBYTES"), ("DISKRDIOPS_BW", "DISKRDIOPS"), ("DISKWRIOPS_BW", "DISKWRIOPS"),
    ];

    private readonly ProbeHost _probe = new();

    [Fact]
    public async Task Each_rate_is_the_growth_of_its_counter_per_second_since_the_previous_poll()
    {
        await using var set = new MonitoredDomains();
        var domain = await set.StartWithDevicesAsync();
        var id = MonitoredDomains.IdOf(domain);

        var clock = Stopwatch.StartNew();
        var first = await _probe.MonitorAsync();
        var firstEnded = clock.Elapsed.TotalSeconds;
        await Task.Delay(1500);
        var secondStarted = clock.Elapsed.TotalSeconds;
        var second = await _probe.MonitorAsync();
        var secondEnded = clock.Elapsed.TotalSeconds;

        ProtocolAssert.Succeeded(first);
        ProtocolAssert.Succeeded(second);
        var before = ProbeOutput.Monitor(first.Stdout).Single(r => r.Id == id);
        var after = ProbeOutput.Monitor(second.Stdout).Single(r => r.Id == id);
        Assert.DoesNotContain(before.Values.Keys, k => k.EndsWith("_BW", StringComparison.Ordinal));
        foreach (var (rate, counter) in Keys)
        {
            var grown = after.Long(counter) - before.Long(counter);
            // the counters were read somewhere inside each run: the interval lies between these bounds
            var (shortest, longest) = (secondStarted - firstEnded, secondEnded);
            Assert.InRange(after.Double(rate), Math.Round(grown / longest, 2) - 0.01, Math.Round(grown / shortest, 2) + 0.01);
        }
    }

    [Fact]
    public async Task A_restarted_qemu_gives_no_rates_until_the_poll_after()
    {
        await using var set = new MonitoredDomains();
        var domain = await set.StartWithDevicesAsync();
        var id = MonitoredDomains.IdOf(domain);
        var xml = Path.Combine(TestPaths.NewScratchDirectory("mon-restart"), "domain.xml");
        await File.WriteAllTextAsync(xml, await TestVirsh.CheckedAsync("dumpxml", domain.Name));

        ProtocolAssert.Succeeded(await _probe.MonitorAsync());
        await Task.Delay(1100);
        var pid = MonitoredDomains.QemuPid(domain);
        await TestVirsh.CheckedAsync("destroy", domain.Name);
        await TestVirsh.CheckedAsync("create", xml);
        Assert.NotEqual(pid, MonitoredDomains.QemuPid(domain));
        var restarted = await _probe.MonitorAsync();
        await Task.Delay(1100);
        var next = await _probe.MonitorAsync();

        ProtocolAssert.Succeeded(restarted);
        ProtocolAssert.Succeeded(next);
        var report = ProbeOutput.Monitor(restarted.Stdout).Single(r => r.Id == id);
        Assert.Equal(await MonitoredDomains.UuidAsync(domain), report.DeployId);
        Assert.DoesNotContain(report.Values.Keys, k => k.EndsWith("_BW", StringComparison.Ordinal));
        var rates = ProbeOutput.Monitor(next.Stdout).Single(r => r.Id == id).Values;
        Assert.All(Keys, k => Assert.InRange(double.Parse(rates[k.Rate], System.Globalization.CultureInfo.InvariantCulture), 0, 1e9));
    }

    public void Dispose() => _probe.Dispose();
}
