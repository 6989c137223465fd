namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// A QEMU process's CPU time at one moment. Pid and start time identify the process,
/// so a sample of a domain that was restarted since is never compared with the new one.
/// </summary>
internal readonly record struct CpuSample(int Pid, long StartTicks, long CpuTicks, double At)
{
    /// <summary>Intervals shorter than this are too coarse for 10 ms ticks (and mean a concurrent probe just ran).</summary>
    public const double MinimumInterval = 1.0;

    /// <summary>Seconds since boot when the process started.</summary>
    public double StartedAt => StartTicks / ProcFs.TicksPerSecond;

    /// <summary>Percent of one core (100 = one core busy) between <paramref name="before"/> and this sample; null when they cannot be compared.</summary>
    public double? PercentSince(CpuSample before, double minimumInterval = MinimumInterval)
    {
        var seconds = At - before.At;
        var ticks = CpuTicks - before.CpuTicks;
        if (before.Pid != Pid || before.StartTicks != StartTicks || seconds < minimumInterval || ticks < 0)
        {
            return null;
        }
        return ticks / ProcFs.TicksPerSecond / seconds * 100;
    }

    /// <summary>Percent of one core over the whole life of the process; null when it is too young to tell.</summary>
    public double? PercentSinceStart()
    {
        var seconds = At - StartedAt;
        return seconds >= MinimumInterval ? CpuTicks / ProcFs.TicksPerSecond / seconds * 100 : null;
    }
}
