namespace OneKvm.Remotes.Host;

internal static partial class HostLogMessages
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Running the {Hook} hook")]
    public static partial void HookRunning(this ILogger logger, string hook);

    [LoggerMessage(Message = "{Hook}: {Line}")]
    public static partial void HookSaid(this ILogger logger, LogLevel level, string hook, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "memory cleanup (sysctl vm.drop_caches, vm.compact_memory) failed: {Reason}")]
    public static partial void MemoryCleanupFailed(this ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "memory cleanup could not run: {Reason}")]
    public static partial void MemoryCleanupCannotRun(this ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "memory cleanup on {Host} (sudo sysctl vm.drop_caches, vm.compact_memory) failed: {Reason}")]
    public static partial void MemoryCleanupOnHostFailed(this ILogger logger, string host, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "memory cleanup on {Host} could not run: {Reason}")]
    public static partial void MemoryCleanupOnHostCannotRun(this ILogger logger, string host, string reason);
}
