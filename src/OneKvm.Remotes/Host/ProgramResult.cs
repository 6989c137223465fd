namespace OneKvm.Remotes.Host;

/// <summary>What a finished run left behind; a non-zero exit is the caller's to judge.</summary>
internal sealed record ProgramResult(ProgramCommand Command, int ExitCode, string StandardOutput, string StandardError, int Attempts, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The program's own explanation in one line: its last stderr line (virsh prints the cause last), without virsh's "error: ".</summary>
    public string Reason() =>
        StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.StartsWith("error: ", StringComparison.Ordinal) ? l["error: ".Length..] : l)
            .LastOrDefault(l => l.Length > 0)?.TrimEnd('.') ?? $"exit code {ExitCode} and nothing on stderr";
}
