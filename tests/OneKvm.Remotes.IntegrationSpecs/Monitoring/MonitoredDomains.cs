using System.Globalization;
using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Monitoring;

/// <summary>
/// OpenNebula-named test domains (one-&lt;id&gt;) and what the tests check the probes
/// against: virsh's own answers and the QEMU processes in /proc.
/// </summary>
public sealed class MonitoredDomains : IAsyncDisposable
{
    private readonly List<TestDomain> _domains = [];
    private readonly List<string> _scratch = [];

    public IReadOnlyList<TestDomain> Domains => _domains;

    public static string OneName() => $"one-{TestNames.OneVmId()}";

    public static int IdOf(TestDomain domain) => int.Parse(domain.Name["one-".Length..], CultureInfo.InvariantCulture);

    /// <summary>
    /// Starts <paramref name="count"/> diskless one-&lt;id&gt; domains, a few at a time. Under TCG:
    /// they start faster than under nested KVM and their BIOS halts within a second, where
    /// fifty KVM BIOSes keep a host core busy and slow every libvirt answer down.
    /// </summary>
    public async Task<IReadOnlyList<TestDomain>> StartDisklessAsync(int count)
    {
        using var gate = new SemaphoreSlim(6);
        var started = await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                return await TestDomain.StartAsync(DomainXml.Diskless(OneName(), type: "qemu"));
            }
            finally
            {
                gate.Release();
            }
        }));
        lock (_domains)
        {
            _domains.AddRange(started);
        }
        return started;
    }

    public async Task<TestDomain> StartAsync(DomainXml xml)
    {
        var domain = await TestDomain.StartAsync(xml);
        lock (_domains)
        {
            _domains.Add(domain);
        }
        return domain;
    }

    /// <summary>
    /// A domain with I/O counters libvirt can report: two raw disks and a NIC. Under TCG
    /// SeaBIOS reads the boot disk within a second (under nested KVM it takes many);
    /// without the NIC's option ROM and network boot it then halts, using no CPU.
    /// </summary>
    public async Task<TestDomain> StartWithDevicesAsync()
    {
        var dir = TestPaths.NewScratchDirectory("mon-disks");
        _scratch.Add(dir);
        var xml = DomainXml.Diskless(OneName(), type: "qemu")
            .Transform(d => d.Element("os")!.Add(new XElement("boot", new XAttribute("dev", "hd")),
                new XElement("bootmenu", new XAttribute("enable", "no"))));
        foreach (var target in new[] { "vda", "vdb" })
        {
            var file = Path.Combine(dir, target + ".raw");
            await using (var f = File.Create(file))
            {
                f.SetLength(1 << 20);
            }
            xml = xml.WithDevice(new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
                new XElement("source", new XAttribute("file", file)),
                new XElement("target", new XAttribute("dev", target), new XAttribute("bus", "virtio"))));
        }
        xml = xml.WithDevice(new XElement("interface", new XAttribute("type", "ethernet"),
            new XElement("model", new XAttribute("type", "virtio")),
            new XElement("rom", new XAttribute("enabled", "no"))));
        var domain = await StartAsync(xml);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await DomStatsAsync(domain.Name)).GetValueOrDefault("block.0.rd.reqs") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{domain.Name}: the BIOS never read its disk");
            await Task.Delay(200);
        }
        return domain;
    }

    /// <summary>
    /// A diskless domain that can be crashed (a pvpanic device, kept on crash) and
    /// suspended to RAM (S3 enabled) by writing to its I/O ports, as a guest would.
    /// </summary>
    public Task<TestDomain> StartCrashableAsync() =>
        StartAsync(DomainXml.Diskless(OneName())
            .Transform(d => d.Element("on_crash")!.Value = "preserve")
            .WithElement(new XElement("pm", new XElement("suspend-to-mem", new XAttribute("enabled", "yes"))))
            .WithDevice(new XElement("panic", new XAttribute("model", "isa"))));

    /// <summary>The guest reports a kernel panic to the pvpanic device: libvirt makes it "crashed (panicked)".</summary>
    public static Task PanicAsync(TestDomain domain) => HmpAsync(domain, "o /b 0x505 1", "crashed");

    /// <summary>The guest enters S3 through the PIIX4 PM1a control register: "pmsuspended".</summary>
    public static Task SuspendToRamAsync(TestDomain domain) => HmpAsync(domain, "o /w 0x604 0x2400", "pmsuspended");

    /// <summary>QEMU stops without libvirt asking for it: "paused (unknown)".</summary>
    public static Task StopBehindLibvirtsBackAsync(TestDomain domain) => HmpAsync(domain, "stop", "paused");

    public static async Task<IReadOnlyDictionary<string, long>> DomStatsAsync(string name, params string[] groups)
    {
        var text = await TestVirsh.CheckedAsync(["domstats", .. groups.Length > 0 ? groups : ["--state", "--interface", "--block"], name]);
        var stats = new Dictionary<string, long>();
        foreach (var line in text.Split('\n').Select(l => l.Trim()))
        {
            var eq = line.IndexOf('=');
            if (eq > 0 && long.TryParse(line[(eq + 1)..], out var value))
            {
                stats[line[..eq]] = value;
            }
        }
        return stats;
    }

    public static long Sum(IReadOnlyDictionary<string, long> stats, string prefix, string suffix) =>
        stats.Where(s => s.Key.StartsWith(prefix, StringComparison.Ordinal) && s.Key.EndsWith(suffix, StringComparison.Ordinal)
                && s.Key.Count(c => c == '.') == 3)
            .Sum(s => s.Value);

    public static async Task<string> UuidAsync(TestDomain domain) => (await TestVirsh.CheckedAsync("domuuid", domain.Name)).Trim();

    public static int QemuPid(TestDomain domain) =>
        int.Parse(File.ReadAllText($"/run/libvirt/qemu/{domain.Name}.pid").Trim(), CultureInfo.InvariantCulture);

    /// <summary>VmRSS + VmSwap of the domain's QEMU, read by the test itself.</summary>
    public static long QemuMemoryKiB(TestDomain domain) => QemuMemoryKiB(QemuPid(domain));

    /// <summary>
    /// A reported MEMORY is QEMU's resident memory, read by the test before and after the call.
    /// A QEMU that just started mostly grows but also gives pages back (seen in CI: 48100 KiB
    /// before, 45440 reported), so 10 % either way of the two readings.
    /// </summary>
    public static void AssertIsQemuMemory(long reported, long before, long after) =>
        Assert.InRange(reported, Math.Min(before, after) * 0.9, Math.Max(before, after) * 1.1);

    public static long QemuMemoryKiB(int pid)
    {
        long total = 0;
        foreach (var line in File.ReadAllLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal) || line.StartsWith("VmSwap:", StringComparison.Ordinal))
            {
                total += long.Parse(line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        return total;
    }

    /// <summary>utime + stime + cutime + cstime of the domain's QEMU in ticks, with the uptime it was read at.</summary>
    public static (long Ticks, double Uptime) QemuCpu(TestDomain domain)
    {
        var stat = File.ReadAllText($"/proc/{QemuPid(domain)}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = fields.Skip(11).Take(4).Sum(f => long.Parse(f, CultureInfo.InvariantCulture));
        var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
        return (ticks, uptime);
    }

    /// <summary>Repeats the command until the state shows: the PM registers answer only once the BIOS has set them up.</summary>
    private static async Task HmpAsync(TestDomain domain, string command, string state)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        do
        {
            await TestVirsh.CheckedAsync("qemu-monitor-command", "--hmp", domain.Name, command);
            if (await TestVirsh.WaitForStateAsync(domain.Name, s => s == state, TimeSpan.FromSeconds(1)))
            {
                return;
            }
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"{domain.Name} did not become {state}: {await domain.StateAsync()}");
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_domains.Select(d => d.DisposeAsync().AsTask()));
        foreach (var dir in _scratch)
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
