namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// What a QEMU started by libvirt says about itself on its command line: the
/// domain name (-name guest=NAME,...) and UUID (-uuid UUID), which libvirt always passes.
/// </summary>
internal static class QemuCommandLine
{
    /// <summary>The domain name and UUID, or null when the process is not a libvirt QEMU.</summary>
    public static (string Name, string Uuid)? Identify(IReadOnlyList<string> arguments)
    {
        string? name = null;
        string? uuid = null;
        for (var i = 0; i + 1 < arguments.Count; i++)
        {
            switch (arguments[i])
            {
                case "-name":
                    name = GuestName(arguments[i + 1]);
                    break;
                case "-uuid" when Guid.TryParseExact(arguments[i + 1], "D", out _):
                    uuid = arguments[i + 1].ToLowerInvariant();
                    break;
            }
        }
        return name is not null && uuid is not null ? (name, uuid) : null;
    }

    /// <summary>"guest=one-7,debug-threads=on" or plain "one-7"; a comma in the name is doubled.</summary>
    private static string GuestName(string value)
    {
        const string GuestKey = "guest=";
        var name = value.StartsWith(GuestKey, StringComparison.Ordinal) ? value[GuestKey.Length..] : value;
        // the first comma that is not doubled ends the name
        var end = name.IndexOf(',', StringComparison.Ordinal);
        while (end >= 0 && end + 1 < name.Length && name[end + 1] == ',')
        {
            end = name.IndexOf(',', end + 2);
        }
        return (end < 0 ? name : name[..end]).Replace(",,", ",", StringComparison.Ordinal);
    }
}
