namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// CPU usage of QEMU processes as a percentage of one core, from their CPU time in
/// /proc: against the previous poll's sample when there is one, over the process's
/// whole life when it started after the previous full poll, and otherwise (first
/// poll, lost state file) from a short sample taken once for all such processes.
/// </summary>
/// <param name="log">The log, asked for only when there is something to say (creating it costs start-up time).</param>
internal sealed class CpuMeter(ProcFs proc, Func<TimeSpan, CancellationToken, Task> sleep, Func<ILogger>? log = null)
{
    /// <summary>Long enough for 10 ms ticks to give a usable first value, short beside upstream's 1 s on every run.</summary>
    public static readonly TimeSpan ShortSample = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The CPU of each process (by UUID) that could be measured; <paramref name="store"/>
    /// receives the new samples (and keeps every other one).
    /// </summary>
    public async Task<Dictionary<string, double>> MeasureAsync(IReadOnlyCollection<QemuProcess> processes,
        CpuSampleStore store, CancellationToken cancellationToken)
    {
        var usage = new Dictionary<string, double>(StringComparer.Ordinal);
        var now = Sample(processes);
        var pending = new List<QemuProcess>();
        foreach (var process in processes)
        {
            if (!now.TryGetValue(process.Uuid, out var sample))
            {
                continue;
            }
            var percent = store.Samples.TryGetValue(process.Uuid, out var before) ? sample.PercentSince(before) : null;
            percent ??= store.FullPollAt is { } full && sample.StartedAt >= full ? sample.PercentSinceStart() : null;
            if (percent is { } value)
            {
                usage[process.Uuid] = value;
            }
            else
            {
                pending.Add(process);
            }
        }
        if (pending.Count > 0)
        {
            // on stderr, which the monitor daemon shows only when a probe fails
            log?.Invoke().ShortCpuSample(pending.Count, ShortSample.TotalMilliseconds);
            await sleep(ShortSample, cancellationToken).ConfigureAwait(false);
            foreach (var (uuid, after) in Sample(pending))
            {
                if (after.PercentSince(now[uuid], minimumInterval: ShortSample.TotalSeconds / 10) is { } value)
                {
                    usage[uuid] = value;
                }
                now[uuid] = after;
            }
        }
        foreach (var (uuid, sample) in now)
        {
            store.Samples[uuid] = sample;
        }
        return usage;
    }

    /// <summary>Reads every process's times, then the clock once: a few milliseconds for fifty processes.</summary>
    private Dictionary<string, CpuSample> Sample(IEnumerable<QemuProcess> processes)
    {
        var times = new List<(string Uuid, int Pid, ProcessTimes Times)>();
        foreach (var p in processes)
        {
            if (proc.Times(p.Pid) is { } t)
            {
                times.Add((p.Uuid, p.Pid, t));
            }
        }
        var samples = new Dictionary<string, CpuSample>(StringComparer.Ordinal);
        if (proc.Uptime() is { } at)
        {
            foreach (var (uuid, pid, t) in times)
            {
                samples[uuid] = new CpuSample(pid, t.StartTicks, t.CpuTicks, at);
            }
        }
        return samples;
    }
}
