using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Monitoring;

/// <summary>The legacy VMM poll action: one domain in OpenNebula 5.x's STATE=... format.</summary>
public sealed class LegacyPollSpecs : IDisposable
{
    private readonly ProbeHost _probe = new();

    [Fact]
    public async Task A_running_domain_is_state_a_with_cpu_memory_and_counters_by_name_or_uuid()
    {
        await using var set = new MonitoredDomains();
        var domain = await set.StartWithDevicesAsync();
        var uuid = await MonitoredDomains.UuidAsync(domain);

        foreach (var deployId in new[] { domain.Name, uuid })
        {
            var before = MonitoredDomains.QemuMemoryKiB(domain);
            var result = await _probe.PollAsync(deployId);

            ProtocolAssert.Succeeded(result);
            var values = Parse(result.Stdout);
            Assert.Equal(["STATE", "CPU", "MEMORY", "NETRX", "NETTX", "DISKRDBYTES", "DISKWRBYTES", "DISKRDIOPS", "DISKWRIOPS"], values.Keys);
            Assert.Equal("a", values["STATE"]);
            Assert.InRange(double.Parse(values["CPU"], System.Globalization.CultureInfo.InvariantCulture), 0, 110);
            MonitoredDomains.AssertIsQemuMemory(long.Parse(values["MEMORY"]), before, MonitoredDomains.QemuMemoryKiB(domain));
            var stats = await MonitoredDomains.DomStatsAsync(domain.Name);
            Assert.Equal(MonitoredDomains.Sum(stats, "block.", ".rd.reqs").ToString(), values["DISKRDIOPS"]);
            Assert.Equal(MonitoredDomains.Sum(stats, "block.", ".rd.bytes").ToString(), values["DISKRDBYTES"]);
        }
        Assert.Equal(2, _probe.TakeVirshCalls().Count);
    }

    /// <summary>domstats takes domains only by position: without "--" before it, this name was an unknown option to virsh.</summary>
    [Fact]
    public async Task A_domain_whose_name_starts_like_an_option_is_polled_as_a_domain()
    {
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless("--dash-" + TestNames.Domain("poll")));

        var result = await _probe.PollAsync(domain.Name);

        ProtocolAssert.Succeeded(result);
        Assert.Equal("a", Parse(result.Stdout)["STATE"]);
    }

    [Theory]
    [InlineData("suspend", "e")]
    [InlineData("panic", "e")]
    [InlineData("pmsuspend", "e")]
    [InlineData("stop", "e")]
    public async Task Paused_crashed_and_suspended_domains_have_5x_letters(string how, string letter)
    {
        await using var set = new MonitoredDomains();
        var domain = await set.StartCrashableAsync();
        await (how switch
        {
            "suspend" => TestVirsh.CheckedAsync("suspend", domain.Name),
            "panic" => MonitoredDomains.PanicAsync(domain),
            "pmsuspend" => MonitoredDomains.SuspendToRamAsync(domain),
            _ => MonitoredDomains.StopBehindLibvirtsBackAsync(domain),
        });

        var result = await _probe.PollAsync(domain.Name);

        ProtocolAssert.Succeeded(result);
        Assert.Equal(letter, Parse(result.Stdout)["STATE"]);
    }

    [Fact]
    public async Task A_domain_libvirt_does_not_know_is_state_dash_as_5x_answered()
    {
        var name = MonitoredDomains.OneName();

        var result = await _probe.PollAsync(name);

        ProtocolAssert.Succeeded(result);
        Assert.Equal("STATE=-\n", result.Stdout);
        Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.Contains(name, StringComparison.Ordinal));
    }

    private static Dictionary<string, string> Parse(string stdout)
    {
        Assert.EndsWith("\n", stdout);
        Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        return stdout.Trim().Split(' ').Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
    }

    public void Dispose() => _probe.Dispose();
}
