namespace OneKvm.Remotes.Monitoring;

/// <summary>What the state probe last reported for one VM, and for how many polls it has been missing.</summary>
internal sealed record VmStateEntry(string Uuid, int Id, string State, int Missing, long Timestamp);

/// <summary>
/// The state probe's memory between runs (upstream keeps it in SQLite): the last
/// state of each VM and when all states were last sent in full (SYNC_STATE).
/// </summary>
internal sealed class VmStateStore
{
    private const string Header = "onekvm-vm-states 1";

    /// <summary>Unix seconds of the last full report; null when there was none.</summary>
    public long? LastSync { get; set; }

    public List<VmStateEntry> Entries { get; } = [];

    /// <summary>The store in <paramref name="text"/>; an empty one (next report in full) when missing or malformed.</summary>
    public static VmStateStore Parse(string? text)
    {
        var store = new VmStateStore();
        var lines = text?.Split('\n', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (lines.Length == 0 || lines[0] != Header)
        {
            return store;
        }
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(' ');
            switch (f[0])
            {
                case "sync" when f.Length == 2 && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var sync):
                    store.LastSync = sync;
                    break;
                case "vm" when f.Length == 6 && f[1].Length > 0 && f[3].Length > 0
                    && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                    && int.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out var missing)
                    && long.TryParse(f[5], NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp):
                    store.Entries.Add(new VmStateEntry(f[1], id, f[3], missing, timestamp));
                    break;
                default:
                    return new VmStateStore();
            }
        }
        return store;
    }

    public string Render()
    {
        var text = new StringBuilder().Append(Header).Append('\n');
        if (LastSync is { } sync)
        {
            text.Append(CultureInfo.InvariantCulture, $"sync {sync}\n");
        }
        foreach (var e in Entries)
        {
            text.Append(CultureInfo.InvariantCulture, $"vm {e.Uuid} {e.Id} {e.State} {e.Missing} {e.Timestamp}\n");
        }
        return text.ToString();
    }
}
