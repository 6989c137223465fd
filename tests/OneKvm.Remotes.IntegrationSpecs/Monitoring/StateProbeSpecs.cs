using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Monitoring;

/// <summary>The state probe (vm_state) against real domains in every state this machine can produce.</summary>
public sealed class StateProbeSpecs : IDisposable
{
    private const string SyncEveryFourSeconds =
        "<MONITOR_CONF><HOST_ID>0</HOST_ID><PROBES_PERIOD><STATE_VM>5</STATE_VM><SYNC_STATE_VM>4</SYNC_STATE_VM></PROBES_PERIOD></MONITOR_CONF>";

    private readonly ProbeHost _probe = new();

    [Fact]
    public async Task The_first_run_reports_every_vm_in_its_state_under_a_sync_header_from_one_virsh_process()
    {
        await using var set = new MonitoredDomains();
        var running = (await set.StartDisklessAsync(1))[0];
        var paused = (await set.StartDisklessAsync(1))[0];
        var stopped = (await set.StartDisklessAsync(1))[0];
        var crashed = await set.StartCrashableAsync();
        var sleeping = await set.StartCrashableAsync();
        var foreign = await set.StartAsync(DomainXml.Diskless(TestNames.Domain("foreign")));
        await TestVirsh.CheckedAsync("suspend", paused.Name);
        await MonitoredDomains.StopBehindLibvirtsBackAsync(stopped);
        await MonitoredDomains.PanicAsync(crashed);
        await MonitoredDomains.SuspendToRamAsync(sleeping);

        var result = await _probe.StatesAsync();

        ProtocolAssert.Succeeded(result);
        Assert.Equal(["--connect qemu:///system --readonly domstats --state --nowait --list-active"],
            _probe.TakeVirshCalls(result, running, paused, stopped, crashed, sleeping));
        var (sync, vms) = ProbeOutput.States(result.Stdout);
        Assert.True(sync);
        foreach (var (domain, state) in new[]
                 {
                     (running, "RUNNING"), (paused, "SUSPENDED"), (stopped, "FAILURE"), (crashed, "FAILURE"), (sleeping, "SUSPENDED"),
                 })
        {
            Assert.Equal(new StateReport(MonitoredDomains.IdOf(domain), await MonitoredDomains.UuidAsync(domain), state),
                vms.Single(v => v.Id == MonitoredDomains.IdOf(domain)));
        }
        Assert.DoesNotContain(await MonitoredDomains.UuidAsync(foreign), vms.Select(v => v.DeployId));
    }

    [Fact]
    public async Task Later_runs_report_only_the_vms_whose_state_changed()
    {
        await using var set = new MonitoredDomains();
        var domains = await set.StartDisklessAsync(2);
        var (a, b) = (domains[0], domains[1]);
        ProtocolAssert.Succeeded(await _probe.StatesAsync());

        var unchanged = await _probe.StatesAsync();
        await TestVirsh.CheckedAsync("suspend", a.Name);
        var suspended = await _probe.StatesAsync();
        await TestVirsh.CheckedAsync("resume", a.Name);
        var resumed = await _probe.StatesAsync();

        var ours = new[] { MonitoredDomains.IdOf(a), MonitoredDomains.IdOf(b) };
        var uuid = await MonitoredDomains.UuidAsync(a);
        Assert.Equal((false, 0), Ours(unchanged));
        Assert.Equal([new StateReport(ours[0], uuid, "SUSPENDED")], ProbeOutput.States(suspended.Stdout).Vms.Where(v => ours.Contains(v.Id)));
        Assert.Equal([new StateReport(ours[0], uuid, "RUNNING")], ProbeOutput.States(resumed.Stdout).Vms.Where(v => ours.Contains(v.Id)));

        (bool, int) Ours(ProcessResult r)
        {
            var (s, vms) = ProbeOutput.States(r.Stdout);
            return (s, vms.Count(v => ours.Contains(v.Id)));
        }
    }

    [Fact]
    public async Task Every_SYNC_STATE_VM_seconds_of_the_configuration_on_stdin_every_vm_is_reported_again()
    {
        await using var set = new MonitoredDomains();
        var domain = (await set.StartDisklessAsync(1))[0];
        ProtocolAssert.Succeeded(await _probe.StatesAsync(SyncEveryFourSeconds));

        var soon = await _probe.StatesAsync(SyncEveryFourSeconds);
        await Task.Delay(5100);
        var later = await _probe.StatesAsync(SyncEveryFourSeconds);
        var withDefault = await _probe.StatesAsync();

        var id = MonitoredDomains.IdOf(domain);
        Assert.False(ProbeOutput.States(soon.Stdout).Sync);
        var (sync, vms) = ProbeOutput.States(later.Stdout);
        Assert.True(sync);
        Assert.Contains(vms, v => v.Id == id && v.State == "RUNNING");
        Assert.False(ProbeOutput.States(withDefault.Stdout).Sync);
    }

    [Theory]
    [InlineData(null, 3, false)] // probe_db.rb's own default
    [InlineData("# as shipped\n:obsolete: 720\n\n:times_missing: 5\n", 5, false)]
    [InlineData(":times_missing: 2\ntimes_missing: 4 # a string key, which upstream's Ruby does not read\n", 2, false)]
    [InlineData(":times_missing: [5\n", 3, true)] // YAML upstream cannot load either: its defaults
    [InlineData(":times_missing: five\n", 3, true)]
    public async Task A_vm_gone_from_the_host_is_reported_poweroff_after_probe_db_confs_times_missing_polls_and_then_forgotten(
        string? probeDbConf, int timesMissing, bool warned)
    {
        using var probe = new ProbeHost(remotesCopy: true);
        if (probeDbConf is not null)
        {
            probe.WriteProbeConfig("probe_db.conf", probeDbConf);
        }
        await using var set = new MonitoredDomains();
        var domain = (await set.StartDisklessAsync(1))[0];
        var id = MonitoredDomains.IdOf(domain);
        var uuid = await MonitoredDomains.UuidAsync(domain);
        ProtocolAssert.Succeeded(await probe.StatesAsync());
        await domain.DisposeAsync();

        var reports = new List<IReadOnlyList<StateReport>>();
        var warnings = new List<string>();
        for (var poll = 1; poll <= timesMissing + 2; poll++)
        {
            var result = await probe.StatesAsync();
            ProtocolAssert.Succeeded(result);
            warnings.AddRange(ProtocolAssert.LogLines(result, "WARN"));
            reports.Add([.. ProbeOutput.States(result.Stdout).Vms.Where(v => v.Id == id)]);
        }

        Assert.All(reports.Take(timesMissing), Assert.Empty);
        Assert.Equal([new StateReport(id, uuid, "POWEROFF")], reports[timesMissing]);
        Assert.Empty(reports[timesMissing + 1]);
        if (warned)
        {
            Assert.Equal(timesMissing + 2, warnings.Count);
            Assert.All(warnings, w => Assert.Contains("probe_db.conf", w));
        }
        else
        {
            Assert.Empty(warnings);
        }
    }

    [Fact]
    public async Task When_libvirt_does_not_answer_the_probe_fails_and_the_vms_are_not_counted_missing()
    {
        await using var set = new MonitoredDomains();
        var domain = (await set.StartDisklessAsync(1))[0];
        ProtocolAssert.Succeeded(await _probe.StatesAsync());
        var before = File.ReadAllText(_probe.StatesFile);
        var unreachable = _probe.Driver.WithKvmrc("export LIBVIRT_URI=qemu:///system?socket=/nonexistent/libvirt-sock\n");

        for (var poll = 1; poll <= 6; poll++)
        {
            var failed = await unreachable.RunEntryAsync(ProbeOutput.StateProbe, "", "kvm", "0", ProbeHost.HostName);
            Assert.Equal("", failed.Stdout);
            Assert.Contains("/nonexistent/libvirt-sock", ProtocolAssert.Failed(failed));
        }
        Assert.Equal(before, File.ReadAllText(_probe.StatesFile));
        var after = await _probe.StatesAsync();

        ProtocolAssert.Succeeded(after);
        Assert.DoesNotContain(ProbeOutput.States(after.Stdout).Vms, v => v.Id == MonitoredDomains.IdOf(domain));
    }

    public void Dispose() => _probe.Dispose();
}
