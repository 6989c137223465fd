namespace OneKvm.Remotes.Virsh;

/// <summary>Quotes words for display only; onekvm never hands a string to a shell.</summary>
internal static class ShellQuote
{
    public static string Quote(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+%".Contains(c)))
        {
            return word;
        }
        return "'" + word.Replace("'", "'\\''") + "'";
    }
}
