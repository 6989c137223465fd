namespace OneKvm.Remotes.Host;

/// <summary>
/// Writes a file whole or not at all: a crash or a full disk never leaves half of it under its name.
/// The temporary file is created new (O_EXCL: a link left under its name is not followed) with its final
/// mode from the start (never readable by others for a moment), and renamed over the path: a link
/// planted at the path is replaced, never written through; one another user planted in a parent
/// directory is refused (<see cref="TrustedPath"/>).
/// </summary>
internal static class AtomicFile
{
    /// <summary>What open(2) gives a file when no mode is asked: 0666, less the umask (as upstream's shell redirections).</summary>
    private const UnixFileMode Default =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    public static void WriteAllText(string path, string text, UnixFileMode? mode = null)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        TrustedPath.CheckDirectoryOf(path);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.onekvm-{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(temporary, new FileStreamOptions
                   {
                       Mode = FileMode.CreateNew,
                       Access = FileAccess.Write,
                       UnixCreateMode = mode ?? Default,
                   }))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
            }
            if (mode is { } m)
            {
                // the umask may have taken bits the file must have
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
