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
        var start = value.StartsWith(GuestKey, StringComparison.Ordinal) ? GuestKey.Length : 0;
        var name = new System.Text.StringBuilder();
        for (var i = start; i < value.Length; i++)
        {
            if (value[i] == ',')
            {
                if (i + 1 < value.Length && value[i + 1] == ',')
                {
                    name.Append(',');
                    i++;
                    continue;
                }
                break;
            }
            name.Append(value[i]);
        }
        return name.ToString();
    }
}
