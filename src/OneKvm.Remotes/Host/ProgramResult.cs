namespace OneKvm.Remotes.Host;

/// <summary>What a finished run left behind; a non-zero exit is the caller's to judge.</summary>
internal sealed record ProgramResult(
    ProgramCommand Command,
    int ExitCode,
    string StandardOutput,
    string StandardError,
    int Attempts,
    TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;

    public string RenderedCommand => Command.Render();

    /// <summary>The program's own explanation in one line: its last stderr line, without virsh's "error: " prefix.</summary>
    public string Reason() => Reason(StandardError, ExitCode);

    public static string Reason(string stderr, int exitCode)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.StartsWith("error: ", StringComparison.Ordinal) ? l["error: ".Length..] : l)
            .Where(l => l.Length > 0)
            .ToList();
        // virsh prints the generic line first ("failed to get domain 'x'") and the cause last
        return lines.Count == 0 ? $"exit code {exitCode} and nothing on stderr" : lines[^1].TrimEnd('.');
    }
}
