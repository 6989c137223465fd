namespace OneKvm.Remotes.Monitoring;

/// <summary>The lines the probes and the legacy poll print (driver-contract.md, Monitoring).</summary>
internal static class MonitorFormat
{
    /// <summary>A value as upstream prints its Ruby floats rounded to 2 places (CPU, *_BW, forecasts, GPU): 0.0, 12.5, 100.25.</summary>
    public static string Float(double value) =>
        Math.Round(value, 2, MidpointRounding.AwayFromZero).ToString("0.0#", CultureInfo.InvariantCulture);

    /// <summary>The decoded MONITOR value: KEY="value" lines; CPU and MEMORY only when the QEMU process was found.</summary>
    /// <param name="extra">Keys after the base ones (bandwidth, forecasts), already formatted.</param>
    public static string MonitorValues(double? cpu, long? memoryKiB, IoCounters counters,
        IEnumerable<(string Key, string Value)>? extra = null) =>
        string.Concat(Values(cpu, memoryKiB, counters).Concat(extra ?? []).Select(v => $"{v.Key}=\"{v.Value}\"\n"));

    /// <param name="guest">KEY="value" lines of the guest agent, last (Monitoring/GuestMonitor.cs).</param>
    public static string MonitorLine(int id, string uuid, double? cpu, long? memoryKiB, IoCounters counters,
        IEnumerable<(string Key, string Value)>? extra = null, string? guest = null)
    {
        var monitor = Convert.ToBase64String(Encoding.UTF8.GetBytes(MonitorValues(cpu, memoryKiB, counters, extra) + guest));
        return $"VM = [ ID=\"{id}\", DEPLOY_ID=\"{uuid}\", MONITOR=\"{monitor}\" ]";
    }

    public static string StateLine(int id, string uuid, string state) =>
        $"VM = [ ID=\"{id}\", DEPLOY_ID=\"{uuid}\", STATE=\"{state}\" ]";

    /// <summary>The legacy poll answer: STATE=a CPU=... MEMORY=... NETRX=... (OpenNebula 5.x keys and order).</summary>
    public static string LegacyPollLine(char state, double? cpu, long? memoryKiB, IoCounters counters) =>
        string.Join(' ', Values(cpu, memoryKiB, counters).Select(v => $"{v.Key}={v.Value}").Prepend($"STATE={state}"));

    private static IEnumerable<(string Key, string Value)> Values(double? cpu, long? memoryKiB, IoCounters c)
    {
        if (cpu is { } percent)
        {
            yield return ("CPU", Float(percent));
        }
        if (memoryKiB is { } memory)
        {
            yield return ("MEMORY", Integer(memory));
        }
        yield return ("NETRX", Integer(c.NetRx));
        yield return ("NETTX", Integer(c.NetTx));
        yield return ("DISKRDBYTES", Integer(c.DiskReadBytes));
        yield return ("DISKWRBYTES", Integer(c.DiskWriteBytes));
        yield return ("DISKRDIOPS", Integer(c.DiskReadRequests));
        yield return ("DISKWRIOPS", Integer(c.DiskWriteRequests));
    }

    private static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);
}
