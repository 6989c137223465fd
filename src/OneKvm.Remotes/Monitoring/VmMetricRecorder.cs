using System.Collections.Concurrent;

namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// What vm_monitor adds to each VM's report from its history: writes the poll's values
/// to the VM's metric history and, when forecast.conf enables them, returns the
/// <c>&lt;KEY&gt;_FORECAST</c> (and in the VM's time slot <c>&lt;KEY&gt;_FORECAST_FAR</c>) values.
/// A VM whose history cannot be used (locked, corrupt, disk full, unwritable) keeps its
/// base keys; it is named in <see cref="Skipped"/> for the one line the probe writes.
/// </summary>
internal sealed class VmMetricRecorder(MetricHistory history, ForecastSettings settings, long now)
{
    /// <summary>The forecast keys in upstream's order, each with the history metric it is computed from and whether that is a counter.</summary>
    private static readonly (string Key, string Metric, bool Counter)[] Forecasts =
    [
        ("CPU", "CPU", false), ("MEMORY", "MEMORY", false),
        ("NETRX_BW", "NETRX", true), ("NETTX_BW", "NETTX", true),
        ("DISKRDBYTES_BW", "DISKRDBYTES", true), ("DISKWRBYTES_BW", "DISKWRBYTES", true),
        ("DISKRDIOPS_BW", "DISKRDIOPS", true), ("DISKWRIOPS_BW", "DISKWRIOPS", true),
    ];

    private readonly ConcurrentQueue<string> _skipped = new();

    /// <summary>The VMs whose history could not be used this poll, with SQLite's reason.</summary>
    public IReadOnlyList<string> Skipped => [.. _skipped];

    /// <summary>
    /// <see cref="Record"/> for every VM, on both cores when there are enough of them (each VM
    /// has its own file, so the writes never wait for each other); results in the given order.
    /// </summary>
    public IReadOnlyList<(string Key, string Value)>[] RecordAll(IReadOnlyList<(int VmId, IReadOnlyList<(string Key, double Value)> Values)> vms)
    {
        var results = new IReadOnlyList<(string Key, string Value)>[vms.Count];
        if (vms.Count < ParallelFrom)
        {
            for (var i = 0; i < vms.Count; i++)
            {
                results[i] = Record(vms[i].VmId, vms[i].Values);
            }
            return results;
        }
        Parallel.For(0, vms.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(Environment.ProcessorCount, 4) },
            i => results[i] = Record(vms[i].VmId, vms[i].Values));
        return results;
    }

    /// <summary>Below this many VMs starting worker threads costs more than it saves.</summary>
    private const int ParallelFrom = 8;

    public IReadOnlyList<(string Key, string Value)> Record(int vmId, IReadOnlyList<(string Key, double Value)> values)
    {
        var near = settings.Near.Enabled ? settings.Near : null;
        var far = settings.Far.Enabled && InFarSlot(vmId) ? settings.Far : null;
        var lookback = Math.Max(near?.LookbackMinutes ?? 0, far?.LookbackMinutes ?? 0);
        var read = lookback > 0 ? Forecasts.Select(f => f.Metric).Distinct().ToList() : [];
        Dictionary<string, List<MetricPoint>> series;
        try
        {
            series = history.Record(vmId, now, values, read, now - (long)(lookback * 60));
        }
        catch (Exception e) when (e is SqliteFailure or IOException or UnauthorizedAccessException)
        {
            _skipped.Enqueue($"{vmId.ToString(CultureInfo.InvariantCulture)} ({e.Message.TrimEnd('.')})");
            return [];
        }
        var result = new List<(string, string)>();
        foreach (var (window, suffix) in new[] { (near, "_FORECAST"), (far, "_FORECAST_FAR") })
        {
            if (window is null)
            {
                continue;
            }
            var since = now - (long)(window.LookbackMinutes * 60);
            var steps = Math.Max(1, (int)Math.Round(window.PeriodMinutes * 60 / settings.MonitorIntervalSeconds));
            foreach (var (key, metric, counter) in Forecasts)
            {
                var points = series[metric].Where(p => p.Timestamp >= since).ToList();
                if (points.Count < Forecaster.MinimumSamples)
                {
                    continue;
                }
                var y = counter ? Forecaster.Rates(points) : points.Select(p => p.Value).ToList();
                if (Forecaster.Forecast(y, steps, minimum: counter ? Forecaster.MinimumSamples - 1 : Forecaster.MinimumSamples) is { } value)
                {
                    result.Add((key + suffix, MonitorFormat.Float(value)));
                }
            }
        }
        return result;
    }

    /// <summary>
    /// Upstream's rule for the far forecast: the far period is cut into monitor intervals and
    /// a VM gets its far forecast in the interval its id falls on, so each VM's costly read of
    /// a long lookback happens once per far period, not at every poll.
    /// </summary>
    public bool InFarSlot(int vmId)
    {
        var slots = Math.Max(1, (long)(settings.Far.PeriodMinutes * 60 / settings.MonitorIntervalSeconds));
        return now / settings.MonitorIntervalSeconds % slots == vmId % slots;
    }
}
