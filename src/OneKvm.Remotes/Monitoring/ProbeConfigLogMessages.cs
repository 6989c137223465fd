namespace OneKvm.Remotes.Monitoring;

/// <summary>Log lines about the probes' configuration files and metric history.</summary>
internal static partial class ProbeConfigLogMessages
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring {Path} ({Reason}); upstream's defaults apply")]
    public static partial void ProbeConfigIgnored(this ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path}: {Problem}; upstream's default {Default} applies")]
    public static partial void ProbeConfigValueIgnored(this ILogger logger, string path, string problem, double @default);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metric history of {Count} VM(s) skipped this poll, their other keys are reported: {Vms}")]
    public static partial void MetricHistorySkipped(this ILogger logger, int count, string vms);
}
