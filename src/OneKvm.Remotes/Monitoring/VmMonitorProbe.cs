namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The monitor probe (im/kvm-probes.d/vm/monitor): CPU, memory and I/O counters of
/// every OpenNebula VM on the host. One virsh process reads every domain; CPU and
/// memory come from each QEMU process in /proc, as upstream measures them, with the
/// CPU averaged since the previous poll instead of upstream's 1 s sleep on every run.
/// Each VM's I/O rates (*_BW) since the previous poll, its metric history under
/// /var/tmp/one_db and, when forecast.conf enables them, its forecasts (Monitoring/README.md);
/// and the guest agent's keys when guestagent.conf asks for them (Guest/README.md).
/// </summary>
internal sealed class VmMonitorProbe : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Probe("vm_monitor", "im/kvm-probes.d/vm/monitor/vm_monitor",
        "Monitor probe: usage of every OpenNebula VM on this host, from one domstats call.",
        "VM = [ ID=..., DEPLOY_ID=..., MONITOR=<base64> ] per VM", () => new VmMonitorProbe());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var (_, host) = ProbeArguments.Of(arguments);
        var proc = ProcFs.Host;
        // the monitor daemon runs the probe again within seconds: retrying here only delays its report
        var domains = new HostDomains(context.Virsh.WithAttempts(1), new QemuProcessFinder(proc), context.Logger,
            NativeDomainStats.For(context.Virsh, context.Settings, context.Time, context.Logger));

        var listedAt = proc.Uptime();
        var vms = await domains.OneVmsAsync(counters: true, cancellationToken).ConfigureAwait(false);
        // the counters were read during the call: its end is the time of the I/O samples
        var countedAt = proc.Uptime();

        var files = ProbeStateFiles.For(context.Environment, context.Logger, host);
        var samples = files.LoadSamples(proc);
        var processes = vms.Select(v => v.Process).OfType<QemuProcess>().ToList();
        // the guest agents answer while the CPU is measured
        var guest = GuestMonitor.ReadAsync(context, vms, host, cancellationToken);
        var meter = new CpuMeter(proc, context.SleepAsync, () => context.Logger);
        var cpu = await meter.MeasureAsync(processes, samples, cancellationToken).ConfigureAwait(false);
        // this poll saw every domain: what it did not see is gone, so the file stays small
        var current = vms.Select(v => v.Uuid).ToHashSet(StringComparer.Ordinal);
        samples.Drop(s => !current.Contains(s.Key));
        samples.FullPollAt = listedAt;
        files.SaveSamples(samples);

        var guestKeys = await guest.ConfigureAwait(false);
        var ioBefore = files.LoadIoSamples(proc);
        var ioNow = new IoSampleStore(ioBefore.BootId);
        var historyDirectory = MetricHistory.DirectoryFrom(context.Environment);
        var forecasts = ForecastSettings.Load(context.Location.Root, historyDirectory, context.Logger);
        var recorder = new VmMetricRecorder(new MetricHistory(historyDirectory, forecasts.RetentionWeeks), forecasts,
            context.Time.GetUtcNow().ToUnixTimeSeconds());

        var reports = vms.Select(vm =>
        {
            var apply = VmState.CountersApply(vm.Stats.State, vm.Stats.Reason);
            double? usage = cpu.TryGetValue(vm.Uuid, out var percent) ? percent : null;
            var memory = vm.Process is { } process ? proc.MemoryKiB(process.Pid) : null;
            return (Vm: vm, Apply: apply, Cpu: usage, Memory: memory, Counters: apply ? vm.Stats.Counters : IoCounters.Zero);
        }).ToList();
        var fromHistory = recorder.RecordAll([.. reports.Select(r => (r.Vm.Id, (IReadOnlyList<(string, double)>)HistoryValues(r.Cpu, r.Memory, r.Counters)))]);

        var output = new StringBuilder();
        for (var i = 0; i < reports.Count; i++)
        {
            var (vm, apply, usage, memory, counters) = reports[i];
            var io = IoSampleOf(vm, samples, countedAt);
            if (io is { } sample)
            {
                ioNow.Samples[vm.Uuid] = sample;
            }
            var extra = io is { } s ? Bandwidth.Values(s, ioBefore.Samples.TryGetValue(vm.Uuid, out var b) ? b : null, apply).ToList() : [];
            extra.AddRange(fromHistory[i]);
            output.Append(MonitorFormat.MonitorLine(vm.Id, vm.Uuid, usage, memory, counters, extra, guestKeys.GetValueOrDefault(vm.Id))).Append('\n');
        }
        files.SaveIoSamples(ioNow);
        if (recorder.Skipped.Count > 0)
        {
            context.Logger.MetricHistorySkipped(recorder.Skipped.Count, string.Join(", ", recorder.Skipped));
        }
        await context.Stdout.WriteAsync(output.ToString()).ConfigureAwait(false);
    }

    /// <summary>The values upstream writes to the history: the reported ones (counters 0 when they do not apply).</summary>
    private static List<(string Key, double Value)> HistoryValues(double? cpu, long? memory, IoCounters counters)
    {
        var values = new List<(string, double)>(MetricHistory.Keys.Length);
        if (cpu is { } c)
        {
            values.Add(("CPU", Math.Round(c, 2)));
        }
        if (memory is { } m)
        {
            values.Add(("MEMORY", m));
        }
        values.AddRange(IoSample.Values(counters).Select((value, i) => (MetricHistory.Keys[2 + i], (double)value)));
        return values;
    }

    /// <summary>libvirt's counters of the domain now, tied to its QEMU process when the CPU sample found it.</summary>
    private static IoSample? IoSampleOf(OneVm vm, CpuSampleStore cpu, double? at) =>
        at is not { } time ? null
        : cpu.Samples.TryGetValue(vm.Uuid, out var process) && vm.Process is not null
            ? new IoSample(process.Pid, process.StartTicks, time, vm.Stats.Counters)
            : new IoSample(0, 0, time, vm.Stats.Counters);
}
