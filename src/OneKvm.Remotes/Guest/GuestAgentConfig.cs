namespace OneKvm.Remotes.Guest;

/// <summary>One entry of :commands: — the words after "virsh qemu-agent-command" ($vm_id not yet replaced) and its OS filters.</summary>
internal sealed record AgentMonitorCommand(
    string Key,
    string Command,
    IReadOnlyList<string> OsIds,
    IReadOnlyList<string> OsTypes,
    IReadOnlyList<string> OsVersions,
    IReadOnlyList<string> OsMachines)
{
    /// <summary>Every filter empty or holding the VM's value (upstream's AND of the four).</summary>
    public bool Matches(GuestOs os) =>
        Allows(OsIds, os.Id) && Allows(OsTypes, os.Type) && Allows(OsVersions, os.Version) && Allows(OsMachines, os.Machine);

    private static bool Allows(IReadOnlyList<string> filter, string? value) => filter.Count == 0 || (value is not null && filter.Contains(value));
}

/// <summary>What guest-get-osinfo said (null until the agent answered).</summary>
internal sealed record GuestOs(string? Id, string? Type, string? Version, string? Machine)
{
    public static readonly GuestOs Unknown = new(null, null, null, null);
}

/// <summary>
/// &lt;remotes&gt;/etc/im/kvm-probes.d/guestagent.conf, read as upstream's YAML.load_file
/// reads the part it uses: :enabled: (anything but false/no/off/null is on, as in Ruby) and
/// :commands:, each a string or a map with :command: and the filters :os_ids:, :os_types:,
/// :os_versions:, :os_machines: (flow [a, b] or block "- a" lists). No file: no agent keys
/// at all, as upstream adds none when it cannot load the file.
/// </summary>
internal sealed record GuestAgentConfig(bool Enabled, IReadOnlyList<AgentMonitorCommand> Commands)
{
    public const string RelativePath = "etc/im/kvm-probes.d/guestagent.conf";

    /// <summary>The configuration, or null (with the reason, null when the file is just absent) when there is none to use.</summary>
    public static (GuestAgentConfig? Config, string? Problem) Load(string path)
    {
        try
        {
            return Host.RegularFile.TryReadText(path, "the guest agent configuration") is { } text ? (Parse(text), null) : (null, null);
        }
        catch (Errors.OneKvmException e)
        {
            return (null, e.Message.TrimEnd('.'));
        }
        catch (FormatException e)
        {
            return (null, $"{path}: {e.Message}");
        }
    }

    public static GuestAgentConfig Parse(string text)
    {
        var lines = Lines(text);
        var enabled = false;
        var commands = new List<AgentMonitorCommand>();
        for (var i = 0; i < lines.Count; i++)
        {
            var (indent, content, number) = lines[i];
            if (indent != 0)
            {
                continue;
            }
            var (key, value) = KeyValue(content, number);
            if (key == "enabled")
            {
                enabled = Truthy(value);
            }
            else if (key == "commands")
            {
                i = ParseCommands(lines, i + 1, commands) - 1;
            }
        }
        return new GuestAgentConfig(enabled, commands);
    }

    private static int ParseCommands(List<(int Indent, string Content, int Number)> lines, int i, List<AgentMonitorCommand> commands)
    {
        if (i >= lines.Count || lines[i].Indent == 0)
        {
            return i;
        }
        var level = lines[i].Indent;
        while (i < lines.Count && lines[i].Indent >= level)
        {
            var (indent, content, number) = lines[i];
            if (indent != level)
            {
                throw new FormatException($"line {number}: unexpected indentation under :commands:");
            }
            var (key, value) = KeyValue(content, number);
            i++;
            if (value.Length > 0)
            {
                commands.Add(new AgentMonitorCommand(key, Scalar(value, number), [], [], [], []));
                continue;
            }
            string? command = null;
            var filters = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            while (i < lines.Count && lines[i].Indent > level)
            {
                var (subIndent, sub, subNumber) = lines[i];
                var (subKey, subValue) = KeyValue(sub, subNumber);
                i++;
                if (subKey == "command")
                {
                    command = Scalar(subValue, subNumber);
                    continue;
                }
                var list = subValue.Length > 0 ? Flow(subValue, subNumber).ToList() : [];
                while (i < lines.Count && lines[i].Indent > subIndent && lines[i].Content.StartsWith('-'))
                {
                    list.Add(Scalar(lines[i].Content[1..].Trim(), lines[i].Number));
                    i++;
                }
                filters[subKey] = list;
            }
            commands.Add(new AgentMonitorCommand(
                key, command ?? throw new FormatException($"line {number}: the command {key} has no :command:"),
                Filter("os_ids"), Filter("os_types"), Filter("os_versions"), Filter("os_machines")));

            List<string> Filter(string name) => filters.GetValueOrDefault(name) ?? [];
        }
        return i;
    }

    /// <summary>Non-blank, non-comment lines with their indentation, comments stripped.</summary>
    private static List<(int Indent, string Content, int Number)> Lines(string text)
    {
        var result = new List<(int, string, int)>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = YamlText.WithoutComment(raw.TrimEnd('\r')).TrimEnd();
            var content = line.TrimStart(' ');
            if (content.Length == 0 || content == "---")
            {
                continue;
            }
            if (content.StartsWith('\t'))
            {
                throw new FormatException($"line {number}: YAML does not allow tabs for indentation");
            }
            result.Add((line.Length - content.Length, content, number));
        }
        return result;
    }

    /// <summary>":name: value" or "name: value": the name without colons and the raw value.</summary>
    private static (string Key, string Value) KeyValue(string content, int number)
    {
        var start = content.StartsWith(':') ? 1 : 0;
        var colon = content.IndexOf(':', start);
        while (colon >= 0 && colon + 1 < content.Length && content[colon + 1] != ' ')
        {
            colon = content.IndexOf(':', colon + 1);
        }
        if (colon < 0)
        {
            throw new FormatException($"line {number}: expected \"key: value\", got \"{content}\"");
        }
        return (content[start..colon], content[(colon + 1)..].Trim());
    }

    private static bool Truthy(string value) =>
        value.Length > 0 && !(value is "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF"
            or "n" or "N" or "~" or "null" or "Null" or "NULL");

    private static string Scalar(string value, int number)
    {
        if (value.Length > 0 && value[0] is '\'' or '"' && (value.Length < 2 || !value.EndsWith(value[0])))
        {
            throw new FormatException($"line {number}: unterminated {(value[0] == '"' ? "double" : "single")}-quoted string");
        }
        if (value.StartsWith('\''))
        {
            return value[1..^1].Replace("''", "'", StringComparison.Ordinal);
        }
        if (value.StartsWith('"'))
        {
            var text = new StringBuilder();
            for (var i = 1; i < value.Length - 1; i++)
            {
                // a backslash escapes the character after it
                text.Append(value[i] == '\\' && i + 1 < value.Length - 1
                    ? value[++i] switch { 'n' => '\n', 't' => '\t', var escaped => escaped }
                    : value[i]);
            }
            return text.ToString();
        }
        return value;
    }

    private static IEnumerable<string> Flow(string value, int number)
    {
        if (!value.StartsWith('[') || !value.EndsWith(']'))
        {
            return [Scalar(value, number)];
        }
        var items = new List<string>();
        var item = new StringBuilder();
        char? quote = null;
        foreach (var c in value[1..^1])
        {
            if (quote is null && c == ',')
            {
                items.Add(item.ToString().Trim());
                item.Clear();
                continue;
            }
            item.Append(c);
            // a quote opens outside quotes and closes at its own character
            quote = quote is null ? (c is '\'' or '"' ? c : null) : (c == quote ? null : quote);
        }
        if (item.ToString().Trim().Length > 0)
        {
            items.Add(item.ToString().Trim());
        }
        return items.Select(i => Scalar(i, number));
    }
}
