namespace OneKvm.Remotes.Kvmrc;

/// <summary>The raw text of one setting and where it came from (kvmrc's file:line, "environment" or "default").</summary>
internal sealed record SettingValue(string Name, string? Text, string Where)
{
    public bool IsSet => !string.IsNullOrEmpty(Text);

    /// <summary>NAME="value" (file:line), as a log line or an error names it.</summary>
    public override string ToString() => $"{Name}=\"{Text}\" ({Where})";
}

/// <summary>
/// A value upstream's scripts take without complaint but not the way it reads (FORCE_DESTROY=true
/// is "no" to them), and what onekvm took it as: one WARN line of the action that read it.
/// </summary>
internal sealed record SettingNote(SettingValue Value, string Problem, string TakenAs)
{
    public override string ToString() => $"kvmrc: {Value} {Problem}; taken as {TakenAs}";
}
