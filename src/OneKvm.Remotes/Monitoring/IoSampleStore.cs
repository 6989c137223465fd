namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The I/O counters of the previous monitor poll, one sample per VM (by UUID), from
/// which the next poll derives the *_BW rates. Like the CPU samples: tied to the boot,
/// replaced whole at each poll, and a missing or damaged file only costs one poll
/// without rates.
/// </summary>
internal sealed class IoSampleStore(string? bootId)
{
    private const string Header = "onekvm-io-samples 1";

    public string? BootId { get; } = bootId;

    public Dictionary<string, IoSample> Samples { get; } = new(StringComparer.Ordinal);

    public static IoSampleStore Parse(string? text, string? bootId)
    {
        var store = new IoSampleStore(bootId);
        foreach (var line in BootBoundFile.Entries(text, Header, bootId) ?? [])
        {
            var f = line.Split(' ');
            // -1: not a counter (NumberStyles.None takes no sign)
            long[] counters =
                [.. f.Skip(5).Select(v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1)];
            if (f.Length != 11 || f[0] != "vm" || f[1].Length == 0 || counters.Contains(-1)
                || !int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || !long.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                || !double.TryParse(f[4], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var at))
            {
                return new IoSampleStore(bootId);
            }
            store.Samples[f[1]] = new IoSample(pid, start, at,
                new IoCounters(counters[0], counters[1], counters[2], counters[3], counters[4], counters[5]));
        }
        return store;
    }

    public string Render()
    {
        var text = BootBoundFile.Start(Header, BootId);
        foreach (var (uuid, s) in Samples.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"vm {uuid} {s.Pid} {s.StartTicks} {s.At:0.00}");
            foreach (var value in IoSample.Values(s.Counters))
            {
                text.Append(CultureInfo.InvariantCulture, $" {value}");
            }
            text.Append('\n');
        }
        return text.ToString();
    }
}
