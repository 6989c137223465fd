namespace OneKvm.Remotes.Monitoring;

/// <summary>The frame the sample files share: a header line, the boot id they were taken in, then one line per entry.</summary>
internal static class BootBoundFile
{
    /// <summary>The entry lines, or null when the file is missing, of another kind or from another boot.</summary>
    public static IEnumerable<string>? Entries(string? text, string header, string? bootId)
    {
        if (text is null || bootId is null)
        {
            return null;
        }
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length < 2 || lines[0] != header || lines[1] != "boot " + bootId ? null : lines.Skip(2);
    }

    /// <summary>The header and boot lines, for the entry lines to follow.</summary>
    public static StringBuilder Start(string header, string? bootId) =>
        new StringBuilder().Append(header).Append('\n').Append("boot ").Append(bootId).Append('\n');
}
