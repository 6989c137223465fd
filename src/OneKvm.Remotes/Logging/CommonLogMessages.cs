namespace OneKvm.Remotes.Logging;

internal static partial class CommonLogMessages
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove {Path}: {Reason}")]
    public static partial void FileNotRemoved(this ILogger logger, string path, string reason);

    /// <summary>Deletes a file the action is done with; a failure is a <see cref="FileNotRemoved"/> line, not an error.</summary>
    public static void RemoveFile(this ILogger logger, string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.FileNotRemoved(path, e.Message);
        }
    }
}
