namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The CPU samples of the previous poll, one per VM (by UUID), so that a poll can
/// report the CPU used since then instead of sleeping to measure it. Any sample in
/// the file is a consistent (time, CPU time) pair: when probes race and one overwrites
/// another's newer file, the next poll just averages over a longer interval.
/// </summary>
internal sealed class CpuSampleStore(string? bootId)
{
    private const string Header = "onekvm-cpu-samples 1";

    /// <summary>A VM not polled for a day is gone; its sample goes even when no full poll runs.</summary>
    public const double MaximumAge = 86_400;

    /// <summary>
    /// When the last poll that saw every domain of the host read them (seconds since
    /// boot). A VM whose process started later has been measured over its whole life.
    /// </summary>
    public double? FullPollAt { get; set; }

    public Dictionary<string, CpuSample> Samples { get; } = new(StringComparer.Ordinal);

    /// <summary>The store in <paramref name="text"/>; an empty one when it is missing, malformed or from another boot.</summary>
    public static CpuSampleStore Parse(string? text, string? bootId)
    {
        var store = new CpuSampleStore(bootId);
        foreach (var line in BootBoundFile.Entries(text, Header, bootId) ?? [])
        {
            var f = line.Split(' ');
            switch (f[0])
            {
                case "full" when f.Length == 2 && Number(f[1]) is { } at:
                    store.FullPollAt = at;
                    break;
                case "vm" when f.Length == 6 && f[1].Length > 0
                    && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                    && long.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                    && long.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                    && Number(f[5]) is { } sampled:
                    store.Samples[f[1]] = new CpuSample(pid, start, ticks, sampled);
                    break;
                default:
                    // a torn or foreign file: start over rather than trust part of it
                    return new CpuSampleStore(bootId);
            }
        }
        return store;
    }

    /// <summary>Drops samples older than <see cref="MaximumAge"/> at <paramref name="now"/>.</summary>
    public void Prune(double now) => Drop(s => now - s.Value.At > MaximumAge);

    public void Drop(Func<KeyValuePair<string, CpuSample>, bool> gone)
    {
        foreach (var uuid in Samples.Keys.ToList())
        {
            if (gone(new(uuid, Samples[uuid])))
            {
                Samples.Remove(uuid);
            }
        }
    }

    public string Render()
    {
        var text = BootBoundFile.Start(Header, bootId);
        if (FullPollAt is { } full)
        {
            text.Append(CultureInfo.InvariantCulture, $"full {full:0.00}\n");
        }
        foreach (var (uuid, s) in Samples.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"vm {uuid} {s.Pid} {s.StartTicks} {s.CpuTicks} {s.At:0.00}\n");
        }
        return text.ToString();
    }

    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) ? value : null;
}
