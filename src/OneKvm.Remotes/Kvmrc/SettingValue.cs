namespace OneKvm.Remotes.Kvmrc;

/// <summary>Where an effective setting came from, for operators and error messages.</summary>
internal enum SettingOrigin
{
    Default,
    Environment,
    Kvmrc,
}

/// <summary>The raw text of one setting and its origin.</summary>
internal sealed record SettingValue(string Name, string? Text, SettingOrigin Origin, string Where)
{
    public bool IsSet => !string.IsNullOrEmpty(Text);
}
