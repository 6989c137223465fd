namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The *_BW keys Sunstone and FireEdge plot (upstream's prediction probe derives them
/// from its metric history): the rate per second of each I/O counter since the previous
/// poll's sample of the same domain.
/// </summary>
internal static class Bandwidth
{
    /// <summary>In the order of <see cref="IoSample.Values"/>.</summary>
    public static readonly string[] Keys = ["NETRX_BW", "NETTX_BW", "DISKRDBYTES_BW", "DISKWRBYTES_BW", "DISKRDIOPS_BW", "DISKWRIOPS_BW"];

    /// <summary>
    /// The keys with a value: none for the first poll, a restarted QEMU, a counter that went
    /// backwards, or a domain whose counters do not apply (paused for a migration, stopped).
    /// </summary>
    public static IEnumerable<(string Key, string Value)> Values(IoSample now, IoSample? before, bool countersApply)
    {
        double?[] rates = countersApply && before is { } previous ? now.RatesSince(previous) : [];
        for (var i = 0; i < rates.Length; i++)
        {
            if (rates[i] is { } rate)
            {
                yield return (Keys[i], MonitorFormat.Float(rate));
            }
        }
    }
}
