using System.Text.RegularExpressions;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Monitoring;

/// <summary>
/// The probes as the monitor client runs them ("kvm &lt;host id&gt; &lt;host&gt;"), with a
/// runtime directory of their own and a virsh on PATH that counts its invocations
/// before handing over to the real one.
/// </summary>
public sealed partial class ProbeHost : IDisposable
{
    public const string HostName = "node-under-test";

    private readonly IDisposable? _remotes;

    /// <param name="remotesCopy">A copy of the staged remotes tree the test may write configuration files into (<see cref="RemotesRoot"/>).</param>
    /// <param name="nativeClient">
    /// false: the probes read the statistics with virsh (ONEKVM_LIBVIRT_CLIENT=virsh), the path these specs count and
    /// fault; true: as installed, from libvirt's socket when they can.
    /// </param>
    public ProbeHost(bool remotesCopy = false, bool nativeClient = false)
    {
        RunDirectory = TestPaths.NewScratchDirectory("mon-run");
        CounterDirectory = TestPaths.NewScratchDirectory("mon-virsh");
        CallLog = Path.Combine(CounterDirectory, "calls");
        var realVirsh = new[] { "/usr/bin/virsh", "/bin/virsh" }.First(File.Exists);
        var wrapper = Path.Combine(CounterDirectory, "virsh");
        ExecutableFile.Write(wrapper, $"#!/bin/sh\necho \"$*\" >> '{CallLog}'\nexec {realVirsh} \"$@\"\n");
        var driver = Driver.Staged;
        RemotesRoot = TestPaths.Remotes;
        if (remotesCopy)
        {
            var copy = new Lifecycle.RemotesCopy();
            (_remotes, driver, RemotesRoot) = (copy, copy.Driver, copy.Root);
        }
        MetricsDirectory = Path.Combine(RunDirectory, "one_db");
        Driver = driver.WithEnvironment("ONEKVM_RUN_DIR", RunDirectory).WithEnvironment("ONEKVM_METRICS_DIR", MetricsDirectory)
            .WithPathFirst(CounterDirectory);
        if (!nativeClient)
        {
            Driver = Driver.WithEnvironment(LibvirtClientVariable, "virsh");
        }
    }

    /// <summary>The probes' switch to virsh (Monitoring/NativeDomainStats.ClientVariable).</summary>
    public const string LibvirtClientVariable = "ONEKVM_LIBVIRT_CLIENT";

    public string RemotesRoot { get; }

    /// <summary>Where the probe keeps the VMs' metric history (upstream's /var/tmp/one_db).</summary>
    public string MetricsDirectory { get; }

    /// <summary>Writes a file of &lt;remotes&gt;/etc/im/kvm-probes.d (probe_db.conf, forecast.conf...) in the remotes copy.</summary>
    public string WriteProbeConfig(string name, string content)
    {
        Assert.NotEqual(TestPaths.Remotes, RemotesRoot);
        var path = Path.Combine(RemotesRoot, "etc", "im", "kvm-probes.d", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public string RunDirectory { get; }

    public string CounterDirectory { get; }

    public string CallLog { get; }

    public Driver Driver { get; set; }

    public string SamplesFile => Path.Combine(RunDirectory, "onekvm-cpu-" + HostName);

    public string StatesFile => Path.Combine(RunDirectory, "onekvm-states-" + HostName);

    /// <summary>The virsh command lines run since the last call (and forgets them).</summary>
    public IReadOnlyList<string> TakeVirshCalls()
    {
        if (!File.Exists(CallLog))
        {
            return [];
        }
        var calls = File.ReadAllLines(CallLog);
        File.Delete(CallLog);
        return calls;
    }

    /// <summary>
    /// The virsh calls since the last take, less the <c>list --uuid --name</c> another session's domain causes: a one-N
    /// domain that stops between the probe's domstats and its look at /proc has no QEMU process in sight, so the probe
    /// reads the UUIDs with virsh list and names the domains in a DEBUG line. The call stays when that line names one of
    /// <paramref name="ours"/> or no such line was written.
    /// </summary>
    public IReadOnlyList<string> TakeVirshCalls(ProcessResult run, params IEnumerable<TestDomain> ours)
    {
        var calls = TakeVirshCalls();
        var unseen = ProtocolAssert.LogLines(run, "DEBUG").Select(l => UnseenDomains().Match(l)).Where(m => m.Success)
            .SelectMany(m => m.Groups[1].Value.Split(", ")).ToList();
        return unseen.Count > 0 && !ours.Any(d => unseen.Contains(d.Name))
            ? calls.Where(c => c != "--connect qemu:///system --readonly list --uuid --name").ToList()
            : calls;
    }

    [GeneratedRegex("No QEMU process in sight for (.+); their UUIDs are read with virsh list")]
    private static partial Regex UnseenDomains();

    public Task<ProcessResult> MonitorAsync() => Driver.RunEntryAsync(ProbeOutput.MonitorProbe, "", "kvm", "0", HostName);

    public Task<ProcessResult> StatesAsync(string configuration = "") =>
        Driver.RunEntryAsync(ProbeOutput.StateProbe, configuration, "kvm", "0", HostName);

    public Task<ProcessResult> PollAsync(string deployId, string vmId = "7") =>
        Driver.RunWithStdinAsync("poll", "<VMM_DRIVER_ACTION_DATA/>", deployId, HostName, vmId, HostName);

    public void Dispose()
    {
        _remotes?.Dispose();
        Directory.Delete(RunDirectory, recursive: true);
        Directory.Delete(CounterDirectory, recursive: true);
    }
}
