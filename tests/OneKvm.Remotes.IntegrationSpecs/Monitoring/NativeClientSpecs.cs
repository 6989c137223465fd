using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Monitoring;

/// <summary>
/// The probes reading the statistics from libvirtd's read-only socket (Libvirt/RemoteClient) instead of a
/// virsh process, against the host's real libvirtd: the same reports as the virsh path, and the ways back to it.
/// </summary>
public sealed class NativeClientSpecs : IDisposable
{
    private static readonly (string Key, string Prefix, string Suffix)[] Counters =
    [
        ("NETRX", "net.", ".rx.bytes"), ("NETTX", "net.", ".tx.bytes"),
        ("DISKRDBYTES", "block.", ".rd.bytes"), ("DISKWRBYTES", "block.", ".wr.bytes"),
        ("DISKRDIOPS", "block.", ".rd.reqs"), ("DISKWRIOPS", "block.", ".wr.reqs"),
    ];

    private readonly ProbeHost _native = new(nativeClient: true);
    private readonly ProbeHost _virsh = new();

    [Fact]
    public async Task The_probes_read_libvirtds_socket_without_a_virsh_process_and_report_what_virsh_domstats_gives()
    {
        await using var set = new MonitoredDomains();
        var running = await set.StartWithDevicesAsync();
        var paused = await set.StartWithDevicesAsync();
        var crashed = await set.StartCrashableAsync();
        await TestVirsh.CheckedAsync("suspend", paused.Name);
        await MonitoredDomains.PanicAsync(crashed);
        TestDomain[] domains = [running, paused, crashed];

        var before = await StatsAsync(domains);
        var native = await _native.MonitorAsync();
        var after = await StatsAsync(domains);
        var viaVirsh = await _virsh.MonitorAsync();
        var nativeStates = await _native.StatesAsync();
        var virshStates = await _virsh.StatesAsync();

        ProtocolAssert.Succeeded(native);
        ProtocolAssert.Succeeded(viaVirsh);
        Assert.Empty(DomStatsCalls(_native));
        // the virsh path: one domstats per probe
        Assert.Equal(2, DomStatsCalls(_virsh).Count());
        Assert.DoesNotContain(ProtocolAssert.LogLines(native, "DEBUG"), l => l.Contains("virsh", StringComparison.Ordinal));
        var nativeReports = ProbeOutput.Monitor(native.Stdout).ToDictionary(r => r.Id);
        var virshReports = ProbeOutput.Monitor(viaVirsh.Stdout).ToDictionary(r => r.Id);
        foreach (var domain in domains)
        {
            var id = MonitoredDomains.IdOf(domain);
            var report = nativeReports[id];
            Assert.Equal(virshReports[id].DeployId, report.DeployId);
            Assert.Equal(virshReports[id].Values.Keys, report.Values.Keys);
            // libvirt's counters between the two virsh domstats around the call; paused and crashed report 0, as through virsh
            foreach (var (key, prefix, suffix) in Counters)
            {
                var (low, high) = domain == running
                    ? (MonitoredDomains.Sum(before[domain.Name], prefix, suffix), MonitoredDomains.Sum(after[domain.Name], prefix, suffix))
                    : (0, 0);
                Assert.InRange(report.Long(key), low, high);
                Assert.Equal(virshReports[id].Long(key), report.Long(key));
            }
        }
        Assert.True(nativeReports[MonitoredDomains.IdOf(running)].Long("DISKRDIOPS") >= 1, "the BIOS read the boot disk");
        ProtocolAssert.Succeeded(nativeStates);
        var statesViaVirsh = ProbeOutput.States(virshStates.Stdout).Vms.ToDictionary(v => v.Id);
        var states = ProbeOutput.States(nativeStates.Stdout).Vms.ToDictionary(v => v.Id);
        Assert.Equal(["RUNNING", "SUSPENDED", "FAILURE"], domains.Select(d => states[MonitoredDomains.IdOf(d)].State));
        Assert.All(domains, d => Assert.Equal(statesViaVirsh[MonitoredDomains.IdOf(d)], states[MonitoredDomains.IdOf(d)]));
        Assert.Empty(DomStatsCalls(_native));
    }

    [Fact]
    public async Task ONEKVM_LIBVIRT_CLIENT_virsh_in_kvmrc_makes_the_probes_run_virsh()
    {
        await using var set = new MonitoredDomains();
        var domain = await set.StartWithDevicesAsync();
        var driver = _native.Driver.WithKvmrc("ONEKVM_LIBVIRT_CLIENT=virsh\n");

        var result = await driver.RunEntryAsync(ProbeOutput.MonitorProbe, "", "kvm", "0", ProbeHost.HostName);

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProbeOutput.Monitor(result.Stdout), r => r.Id == MonitoredDomains.IdOf(domain));
        Assert.Equal(["--connect qemu:///system --readonly domstats --state --interface --block --nowait --list-active"],
            DomStatsCalls(_native));
    }

    [Fact]
    public async Task Without_libvirts_socket_the_probes_run_virsh_without_a_word_about_it()
    {
        await using var set = new MonitoredDomains();
        var domain = await set.StartWithDevicesAsync();
        _native.Driver = _native.Driver.WithEnvironment("ONEKVM_LIBVIRT_SOCKET_DIR", "/nonexistent/libvirt");

        var monitor = await _native.MonitorAsync();
        var monitorCalls = DomStatsCalls(_native).ToList();
        var states = await _native.StatesAsync();

        ProtocolAssert.Succeeded(monitor);
        ProtocolAssert.Succeeded(states);
        Assert.Contains(ProbeOutput.Monitor(monitor.Stdout), r => r.Id == MonitoredDomains.IdOf(domain));
        Assert.Single(monitorCalls);
        Assert.Equal("RUNNING", ProbeOutput.States(states.Stdout).Vms.Single(v => v.Id == MonitoredDomains.IdOf(domain)).State);
        Assert.Equal(["--connect qemu:///system --readonly domstats --state --nowait --list-active"], DomStatsCalls(_native));
        Assert.DoesNotContain(ProtocolAssert.LogLines(monitor, "DEBUG"), l => l.Contains("virsh", StringComparison.Ordinal));
    }

    /// <summary>
    /// The probe's domstats calls since the last look. Other users' one-N domains starting or going away on this host can
    /// add a second call (virsh list, for a UUID whose process was not in sight): that one is the same on both paths.
    /// </summary>
    private static IEnumerable<string> DomStatsCalls(ProbeHost host) =>
        host.TakeVirshCalls().Where(c => c.Contains(" domstats ", StringComparison.Ordinal)).ToList();

    private static async Task<Dictionary<string, IReadOnlyDictionary<string, long>>> StatsAsync(TestDomain[] domains)
    {
        var stats = new Dictionary<string, IReadOnlyDictionary<string, long>>();
        foreach (var domain in domains)
        {
            stats[domain.Name] = await MonitoredDomains.DomStatsAsync(domain.Name);
        }
        return stats;
    }

    public void Dispose()
    {
        _native.Dispose();
        _virsh.Dispose();
    }
}
