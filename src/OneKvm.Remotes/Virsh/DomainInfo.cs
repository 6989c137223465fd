namespace OneKvm.Remotes.Virsh;

/// <summary>What one `virsh dominfo` says about a domain: its UUID, state and whether it is persistent.</summary>
internal sealed record DomainInfo(string Name, string Uuid, string State, bool Persistent)
{
    /// <summary>Active: has a QEMU process (anything but shut off).</summary>
    public bool IsActive => State != "shut off";

    /// <summary>Reads the "Key:   value" lines; null when the name, UUID or state is missing.</summary>
    public static DomainInfo? Parse(string output)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in output.Split('\n').Select(line => line.Split(':', 2)).Where(pair => pair is [{ Length: > 0 }, _]))
        {
            fields.TryAdd(pair[0].Trim(), pair[1].Trim());
        }
        return fields.TryGetValue("Name", out var name) && name.Length > 0
               && fields.TryGetValue("UUID", out var uuid) && Guid.TryParse(uuid, out _)
               && fields.TryGetValue("State", out var state) && state.Length > 0
            ? new DomainInfo(name, uuid, state, fields.GetValueOrDefault("Persistent") == "yes")
            : null;
    }
}
