namespace OneKvm.Remotes.Host;

/// <summary>
/// Quotes words for a POSIX shell: for log lines, and for the one place a shell cannot be
/// avoided, the remote end of ssh (Host/RemoteShell.cs). onekvm never starts a shell itself.
/// </summary>
internal static class ShellQuote
{
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+%".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''") + "'";
}
