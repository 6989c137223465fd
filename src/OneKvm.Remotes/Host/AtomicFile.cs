namespace OneKvm.Remotes.Host;

/// <summary>Writes a file whole or not at all: a crash or a full disk never leaves half of it under its name.</summary>
internal static class AtomicFile
{
    public static void WriteAllText(string path, string text, UnixFileMode? mode = null)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.onekvm-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllText(temporary, text);
            if (mode is { } m)
            {
                File.SetUnixFileMode(temporary, m);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
