namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// A domain's cumulative I/O counters at one moment (seconds since boot, a clock that
/// never jumps), with the QEMU process they belong to when it was found: counters of
/// a restarted QEMU start again from zero and are never compared with the old ones.
/// </summary>
internal readonly record struct IoSample(int Pid, long StartTicks, double At, IoCounters Counters)
{
    /// <summary>Intervals shorter than this say more about timing jitter than about traffic (and mean a concurrent probe just ran).</summary>
    public const double MinimumInterval = 1.0;

    /// <summary>A sample older than this (a VM not polled for a day) gives no rate.</summary>
    public const double MaximumInterval = 86_400;

    /// <summary>
    /// The six rates per second between <paramref name="before"/> and this sample, in the
    /// order of <see cref="Bandwidth.Keys"/>; a null rate for a counter that went backwards,
    /// and all null when the samples cannot be compared (another process, too short or too
    /// long an interval).
    /// </summary>
    public double?[] RatesSince(IoSample before)
    {
        var seconds = At - before.At;
        var sameProcess = Pid == 0 || before.Pid == 0 || (Pid == before.Pid && StartTicks == before.StartTicks);
        var rates = new double?[Bandwidth.Keys.Length];
        if (!sameProcess || seconds < MinimumInterval || seconds > MaximumInterval)
        {
            return rates;
        }
        var now = Values(Counters);
        var then = Values(before.Counters);
        for (var i = 0; i < rates.Length; i++)
        {
            rates[i] = now[i] - then[i] >= 0 ? (now[i] - then[i]) / seconds : null;
        }
        return rates;
    }

    public static long[] Values(IoCounters c) =>
        [c.NetRx, c.NetTx, c.DiskReadBytes, c.DiskWriteBytes, c.DiskReadRequests, c.DiskWriteRequests];
}
