namespace OneKvm.Remotes.Monitoring;

/// <summary>Log lines of the monitoring probes and the legacy poll, their configuration files and metric history.</summary>
internal static partial class MonitorLogMessages
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "No directory for the probes' state files ({Problem}); every poll starts afresh")]
    public static partial void NoStateDirectory(this ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Debug, Message = "CPU of {Count} domain(s) measured over a {Milliseconds} ms sample: no usable sample from a previous poll")]
    public static partial void ShortCpuSample(this ILogger logger, int count, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save {Path} ({Reason}); the next poll starts afresh")]
    public static partial void StateNotSaved(this ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Statistics read with virsh: {Reason}")]
    public static partial void NativeStatsNotUsed(this ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No QEMU process in sight for {Domains}; their UUIDs are read with virsh list")]
    public static partial void UuidsListed(this ILogger logger, string domains);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring {Path} ({Reason}); upstream's defaults apply")]
    public static partial void ProbeConfigIgnored(this ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path}: {Problem}; upstream's default {Default} applies")]
    public static partial void ProbeConfigValueIgnored(this ILogger logger, string path, string problem, double @default);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metric history of {Count} VM(s) skipped this poll, their other keys are reported: {Vms}")]
    public static partial void MetricHistorySkipped(this ILogger logger, int count, string vms);
}
