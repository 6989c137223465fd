namespace OneKvm.Remotes.Logging;

/// <summary>Log lines any feature writes.</summary>
internal static partial class CommonLogMessages
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove {Path}: {Reason}")]
    public static partial void FileNotRemoved(this ILogger logger, string path, string reason);
}
