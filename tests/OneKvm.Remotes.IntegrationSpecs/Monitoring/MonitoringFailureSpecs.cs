using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Monitoring;

/// <summary>libvirtd out of reach, and the probes finding kvmrc from where they sit in the remotes tree.</summary>
public sealed class MonitoringFailureSpecs : IDisposable
{
    private const string NoSuchSocket = "qemu:///system?socket=/nonexistent/libvirt-sock";
    private readonly ProbeHost _probe = new();

    [Theory]
    [InlineData(ProbeOutput.MonitorProbe)]
    [InlineData(ProbeOutput.StateProbe)]
    [InlineData("vmm/kvm/poll")]
    public async Task When_libvirtd_cannot_be_reached_the_entry_fails_with_one_sentence_and_reports_nothing(string entry)
    {
        var driver = _probe.Driver.WithKvmrc($"export LIBVIRT_URI={NoSuchSocket}\n");

        var result = entry == "vmm/kvm/poll"
            ? await driver.RunAsync("poll", "one-1", "h", "1", "h")
            : await driver.RunEntryAsync(entry, "", "kvm", "0", ProbeHost.HostName);

        var error = ProtocolAssert.Failed(result);
        Assert.Equal("", result.Stdout);
        Assert.StartsWith($"Could not read the domains from libvirt at {NoSuchSocket}: Failed to connect socket to '/nonexistent/libvirt-sock'", error);
    }

    [Fact]
    public async Task A_probe_does_not_retry_an_unreachable_libvirtd_the_monitor_daemon_runs_it_again_soon()
    {
        var driver = _probe.Driver.WithKvmrc($"export LIBVIRT_URI={NoSuchSocket}\nexport VIRSH_RETRIES=3\n");

        var probe = await driver.RunEntryAsync(ProbeOutput.MonitorProbe, "", "kvm", "0", ProbeHost.HostName);
        var probeCalls = _probe.TakeVirshCalls();
        var poll = await driver.RunAsync("poll", "one-1", "h", "1", "h");

        ProtocolAssert.Failed(probe);
        Assert.Single(probeCalls);
        ProtocolAssert.Failed(poll);
        Assert.Equal(3, _probe.TakeVirshCalls().Count);
    }

    [Theory]
    [InlineData(ProbeOutput.MonitorProbe)]
    [InlineData(ProbeOutput.StateProbe)]
    public async Task A_probe_reads_the_kvmrc_of_the_remotes_tree_it_was_started_from(string probe)
    {
        var tree = TestPaths.NewScratchDirectory("mon-tree");
        try
        {
            var copy = await ProcessRun.RunAsync("cp", ["-a", TestPaths.Remotes + "/.", tree]);
            Assert.Equal(0, copy.ExitCode);
            File.WriteAllText(Path.Combine(tree, "etc", "vmm", "kvm", "kvmrc"), $"export LIBVIRT_URI='{NoSuchSocket}'\n");
            var driver = _probe.Driver.WithRemotes(tree);

            var failed = await driver.RunEntryAsync(probe, "", "kvm", "0", ProbeHost.HostName);
            File.WriteAllText(Path.Combine(tree, "etc", "vmm", "kvm", "kvmrc"), "export LIBVIRT_URI=qemu:///system\n");
            var works = await driver.RunEntryAsync(probe, "", "kvm", "0", ProbeHost.HostName);

            Assert.Contains(NoSuchSocket, ProtocolAssert.Failed(failed));
            ProtocolAssert.Succeeded(works);
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    public void Dispose() => _probe.Dispose();
}
