namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The few /proc files the probes read, under a root that specs point at a fake tree.
/// Every read tolerates the process having exited in between: the answer is null.
/// </summary>
internal sealed class ProcFs(string root = "/proc")
{
    /// <summary>Linux reports process times in USER_HZ, which is 100 on every architecture .NET runs on.</summary>
    public const double TicksPerSecond = 100;

    public static readonly ProcFs Host = new();

    /// <summary>Seconds since boot (/proc/uptime): the clock process start times are measured on, shared by every process.</summary>
    public double? Uptime()
    {
        var text = Read("uptime");
        var end = text?.IndexOf(' ', StringComparison.Ordinal) ?? -1;
        return end > 0 && double.TryParse(text.AsSpan(0, end), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : null;
    }

    /// <summary>Changes at every boot: a sample taken before a reboot means nothing after it.</summary>
    public string? BootId() => Read("sys/kernel/random/boot_id")?.Trim();

    /// <summary>CPU time and start time of a process from /proc/&lt;pid&gt;/stat, in ticks.</summary>
    public ProcessTimes? Times(int pid)
    {
        var text = Read($"{pid}/stat");
        // the command name (field 2) is in parentheses and may hold spaces or ')'
        var close = text?.LastIndexOf(')') ?? -1;
        if (text is null || close < 0)
        {
            return null;
        }
        // after ") " come fields 3...; utime, stime, cutime, cstime are 14-17, starttime is 22
        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 20)
        {
            return null;
        }
        long cpu = 0;
        for (var i = 11; i <= 14; i++)
        {
            if (!long.TryParse(fields[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ticks))
            {
                return null;
            }
            cpu += ticks;
        }
        return long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            ? new ProcessTimes(cpu, start)
            : null;
    }

    /// <summary>Resident plus swapped-out memory in KiB (VmRSS + VmSwap), what upstream reports as MEMORY.</summary>
    public long? MemoryKiB(int pid) =>
        Read($"{pid}/status")?.Split('\n') is { } lines ? KiB(lines, "VmRSS:") + (KiB(lines, "VmSwap:") ?? 0) : null;

    /// <summary>The arguments a process was started with; null when it is gone or unreadable.</summary>
    public IReadOnlyList<string>? CommandLine(int pid) =>
        Read($"{pid}/cmdline")?.Split('\0', StringSplitOptions.RemoveEmptyEntries);

    public IEnumerable<int> ProcessIds()
    {
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var entry in entries)
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    private string? Read(string relative)
    {
        try
        {
            return File.ReadAllText(Path.Combine(root, relative));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>"VmRSS:	   41040 kB" -> 41040, from the last line with that label; null without one.</summary>
    private static long? KiB(string[] lines, string label)
    {
        var parts = lines.LastOrDefault(l => l.StartsWith(label, StringComparison.Ordinal))
            ?.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return parts?.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib : null;
    }
}

/// <summary>A process's CPU time (user + system, with waited-for children, as upstream sums it) and start time, in ticks since boot.</summary>
internal readonly record struct ProcessTimes(long CpuTicks, long StartTicks);
