using Microsoft.Extensions.Logging;

namespace OneKvm.Remotes.Host;

/// <summary>The log lines of the host utilities (the datastore hooks).</summary>
internal static partial class HostLogMessages
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Running the {Hook} hook")]
    public static partial void HookRunning(this ILogger logger, string hook);

    [LoggerMessage(Message = "{Hook}: {Line}")]
    public static partial void HookSaid(this ILogger logger, LogLevel level, string hook, string line);
}
