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

    /// <summary>Throws IOException or UnauthorizedAccessException when the directory refuses the file.</summary>
    public static void Replace(string path, string content)
    {
        // a link another user planted in a parent directory (the state directory's parent) is not followed
        TrustedPath.CheckDirectoryOf(path);
        var temporary = $"{path}.{Environment.ProcessId}.{Random.Shared.Next():x8}.tmp";
        try
        {
            // CreateNew: never write through a link someone left under the temporary name
            using (var stream = new FileStream(temporary, new FileStreamOptions
                   {
                       Mode = FileMode.CreateNew,
                       Access = FileAccess.Write,
                       UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                   }))
            {
                stream.Write(Encoding.UTF8.GetBytes(content));
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // nothing else to do: the next writer uses another temporary name
        }
    }
}
