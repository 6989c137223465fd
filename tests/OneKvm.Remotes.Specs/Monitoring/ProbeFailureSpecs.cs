using OneKvm.Remotes.Monitoring;
using OneKvm.Remotes.Specs.Infrastructure;
using OneKvm.Remotes.Virsh;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

/// <summary>What the probes and the legacy poll do when virsh fails in ways a real libvirtd cannot be made to.</summary>
public sealed class ProbeFailureSpecs : IDisposable
{
    private readonly string _runDir = Path.Combine(Path.GetTempPath(), $"onekvm-t-run-{Guid.NewGuid():N}");

    public ProbeFailureSpecs() => Directory.CreateDirectory(_runDir);

    private SpecHost Host(FakeVirsh fake)
    {
        var host = new SpecHost { Virsh = VirshRunner.Default.WithExecutable(fake.Executable) };
        host.Environment[RuntimeDirectory.OverrideVariable] = _runDir;
        // the fake is what answers: the probes must not ask libvirt's socket instead
        host.Environment[NativeDomainStats.ClientVariable] = "virsh";
        return host;
    }

    [Theory]
    [InlineData("/r/im/kvm-probes.d/vm/status/vm_state")]
    [InlineData("/r/im/kvm-probes.d/vm/monitor/vm_monitor")]
    public async Task A_libvirt_error_fails_the_probe_once_without_retries_and_reports_no_vm(string probe)
    {
        using var fake = new FakeVirsh("fail");
        var host = Host(fake);
        var statesFile = Path.Combine(_runDir, RuntimeDirectory.FileName("states", "node1"));
        File.WriteAllText(statesFile, "onekvm-vm-states 1\nsync 1700000000\nvm 11111111-2222-4333-8444-555555555555 7 RUNNING 4 1700000000\n");
        var before = File.ReadAllText(statesFile);

        var code = await host.RunAsync(probe, "kvm", "3", "node1");

        Assert.Equal(1, code);
        Assert.Equal("", host.Stdout.ToString());
        Assert.Equal("Could not read the domains from libvirt at qemu:///system: something broke.", host.Sentences.Trim());
        Assert.Single(fake.Calls);
        // a failed poll is not a poll in which the VM was missing
        Assert.Equal(before, File.ReadAllText(statesFile));
    }

    [Fact]
    public async Task A_hung_virsh_fails_the_probe_after_VIRSH_TIMEOUT()
    {
        using var fake = new FakeVirsh("hang");
        var host = Host(fake);
        host.Environment["VIRSH_TIMEOUT"] = "1";

        var code = await host.RunAsync("/r/im/kvm-probes.d/vm/monitor/vm_monitor", "3", "node1");

        Assert.Equal(1, code);
        Assert.StartsWith("Could not read the domains from libvirt at qemu:///system: virsh domstats did not finish within 1 s",
            host.Sentences.Trim());
        Assert.Contains(host.LogLines, line => line.StartsWith("ERROR: vm_monitor: Command \"virsh ", StringComparison.Ordinal) &&
            line.EndsWith("was killed after 1 s (VIRSH_TIMEOUT)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_legacy_poll_fails_when_libvirt_fails_instead_of_answering_that_the_domain_is_gone()
    {
        using var fake = new FakeVirsh("fail");
        var host = Host(fake);

        var code = await host.RunAsync("/r/vmm/kvm/poll", "one-7", "node1", "7", "node1");

        Assert.Equal(1, code);
        Assert.Equal("", host.Stdout.ToString());
        Assert.EndsWith("something broke.", host.Sentences.Trim());
    }

    [Fact]
    public async Task The_legacy_poll_refuses_output_that_is_not_one_domains_statistics()
    {
        using var fake = new FakeVirsh("garbage");
        var host = Host(fake);

        var code = await host.RunAsync("/r/vmm/kvm/poll", "one-7", "node1");

        Assert.Equal(1, code);
        Assert.Equal("virsh domstats one-7 did not print the statistics of one domain.", host.Sentences.Trim());
    }

    [Fact]
    public async Task The_probes_read_everything_with_one_read_only_domstats_that_does_not_wait_for_jobs()
    {
        using var fake = new FakeVirsh("echo");
        var host = Host(fake);

        Assert.Equal(0, await host.RunAsync("/r/im/kvm-probes.d/vm/monitor/vm_monitor", "3", "node1"));
        Assert.Equal(0, await host.RunAsync("/r/im/kvm-probes.d/vm/status/vm_state", "3", "node1"));

        Assert.Equal(
            [
                ["--connect", "qemu:///system", "--readonly", "domstats", "--state", "--interface", "--block", "--nowait", "--list-active"],
                ["--connect", "qemu:///system", "--readonly", "domstats", "--state", "--nowait", "--list-active"],
            ],
            fake.Calls);
    }

    [Theory]
    [InlineData("", 180)]
    [InlineData("<MONITOR_CONF><PROBES_PERIOD><STATE_VM>5</STATE_VM></PROBES_PERIOD></MONITOR_CONF>", 180)]
    [InlineData("<MONITOR_CONF><PROBES_PERIOD><SYNC_STATE_VM> 30 </SYNC_STATE_VM></PROBES_PERIOD></MONITOR_CONF>", 30)]
    [InlineData("<HOST><PROBES_PERIOD><SYNC_STATE_VM>0</SYNC_STATE_VM></PROBES_PERIOD></HOST>", 0)]
    [InlineData("<MONITOR_CONF><PROBES_PERIOD><SYNC_STATE_VM>soon</SYNC_STATE_VM></PROBES_PERIOD></MONITOR_CONF>", 180)]
    [InlineData("<MONITOR_CONF><SYNC_STATE_VM>30</SYNC_STATE_VM></MONITOR_CONF>", 180)]
    [InlineData("<MONITOR_CONF><PROBES_PERIOD><SYNC_STATE_VM>30", 180)]
    public void The_sync_interval_comes_from_the_probe_configuration_or_is_upstreams_180_s(string stdin, int seconds) =>
        Assert.Equal(seconds, VmStateProbe.SyncSeconds(stdin));

    public void Dispose() => Directory.Delete(_runDir, recursive: true);
}
