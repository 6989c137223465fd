namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// Small text files that probes of one host share while they may run at the same
/// time: written whole to a temporary file and renamed over the old one, so a reader
/// sees the old or the new content, never half of one.
/// </summary>
internal static class StateFile
{
    /// <summary>The file's text; null when it is missing, unreadable or no regular file (a FIFO, a device): the probe starts afresh.</summary>
    public static string? Read(string path)
    {
        try
        {
            return RegularFile.TryReadText(path, "the state file");
        }
        catch (OneKvmException)
        {
            return null;
        }
    }

    /// <summary>
    /// Written whole (<see cref="AtomicFile"/>), readable by its owner only; throws IOException or
    /// UnauthorizedAccessException when the directory refuses the file.
    /// </summary>
    public static void Replace(string path, string content) =>
        AtomicFile.WriteAllText(path, content, UnixFileMode.UserRead | UnixFileMode.UserWrite);
}
