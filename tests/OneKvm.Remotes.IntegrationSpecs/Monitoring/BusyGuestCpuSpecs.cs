using System.Diagnostics;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneKvm.Remotes.IntegrationSpecs.Monitoring;

/// <summary>The tiny Linux guest spinning on its vCPU (onekvm.busy=1), named as OpenNebula names its VMs.</summary>
public sealed class BusyGuest : TinyGuest
{
    public int VmId { get; } = TestNames.OneVmId();

    protected override string ExtraCmdline => "onekvm.busy=1";

    protected override DomainXml Xml => DomainXml.TinyGuest($"one-{VmId}", ConsoleFile, ExtraCmdline);
}

/// <summary>CPU as the probe measures it, for a guest that keeps a vCPU busy and a domain that idles.</summary>
public sealed class BusyGuestCpuSpecs(BusyGuest guest, ITestOutputHelper output) : IClassFixture<BusyGuest>, IDisposable
{
    private readonly ProbeHost _probe = new();

    [Fact]
    public async Task A_busy_guest_uses_about_one_core_an_idle_domain_next_to_nothing_as_proc_and_libvirt_measure_them()
    {
        Assert.Contains("ONEKVM-GUEST-BUSY on", guest.Console);
        await using var set = new MonitoredDomains();
        // its BIOS has given up booting and halts (a BIOS still booting under nested KVM is anything but idle)
        var idle = await set.StartWithDevicesAsync();
        var busy = guest.Domain;

        // no samples yet: the first poll measures with one short sample
        var first = await _probe.MonitorAsync();
        var from = MonitoredDomains.QemuCpu(busy);
        var libvirtFrom = await LibvirtCpuTimeAsync(busy);
        await Task.Delay(5000);
        var libvirtTo = await LibvirtCpuTimeAsync(busy);
        var to = MonitoredDomains.QemuCpu(busy);
        var second = await _probe.MonitorAsync();

        ProtocolAssert.Succeeded(first);
        ProtocolAssert.Succeeded(second);
        var expected = (to.Ticks - from.Ticks) / (to.Uptime - from.Uptime);
        // what libvirt's cpu-total group would have said over the same window (cpu.time, ns)
        var libvirt = (libvirtTo.CpuTime - libvirtFrom.CpuTime) / 1e7 / Stopwatch.GetElapsedTime(libvirtFrom.At, libvirtTo.At).TotalSeconds;
        var firstBusy = ProbeOutput.Monitor(first.Stdout).Single(r => r.Id == guest.VmId).Cpu;
        var reports = ProbeOutput.Monitor(second.Stdout);
        var busyCpu = reports.Single(r => r.Id == guest.VmId).Cpu;
        var idleCpu = reports.Single(r => r.Id == MonitoredDomains.IdOf(idle)).Cpu;
        output.WriteLine($"busy: first poll {firstBusy}, second {busyCpu}, over the test's window /proc {expected:0.0}, " +
            $"libvirt cpu.time {libvirt:0.0}; idle {idleCpu}");

        Assert.InRange(busyCpu, expected - 15, expected + 15);
        Assert.InRange(busyCpu, libvirt - 15, libvirt + 15);
        Assert.True(busyCpu > 50, $"a spinning vCPU under TCG keeps a host core busy, got {busyCpu}");
        Assert.InRange(firstBusy, 30, 150);
        Assert.InRange(idleCpu, 0, 15);
    }

    [Fact]
    public async Task The_legacy_poll_measures_the_busy_guest_against_the_samples_of_the_monitor_probe()
    {
        ProtocolAssert.Succeeded(await _probe.MonitorAsync());
        await Task.Delay(2000);

        var poll = await _probe.PollAsync(guest.Domain.Name, guest.VmId.ToString());

        ProtocolAssert.Succeeded(poll);
        Assert.Empty(ProtocolAssert.LogLines(poll, "DEBUG"));
        var cpu = double.Parse(poll.Stdout.Split(' ').Single(kv => kv.StartsWith("CPU=", StringComparison.Ordinal))[4..],
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(cpu > 50, $"busy guest polled at {cpu}");
    }

    /// <summary>
    /// libvirt's cpu.time, stamped at the middle of the virsh call: on a loaded host a call can take
    /// a second, and stamping its end skews a few seconds' window by tens of percent.
    /// </summary>
    private static async Task<(long CpuTime, long At)> LibvirtCpuTimeAsync(TestDomain domain)
    {
        var before = Stopwatch.GetTimestamp();
        var cpuTime = (await MonitoredDomains.DomStatsAsync(domain.Name, "--cpu-total"))["cpu.time"];
        var after = Stopwatch.GetTimestamp();
        return (cpuTime, before + (after - before) / 2);
    }

    public void Dispose() => _probe.Dispose();
}
