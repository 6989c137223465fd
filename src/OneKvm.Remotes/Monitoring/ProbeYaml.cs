namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The YAML the probes' configuration files are written in (probe_db.conf, forecast.conf,
/// guestagent.conf): nested mappings by indentation, scalars, comments. Keys are kept as
/// written, so Ruby's symbol keys (<c>:obsolete:</c>) stay distinct from string keys
/// (<c>obsolete:</c>), as they are for upstream's Ruby. Values are read with
/// <c>a.b.c</c> paths. What it cannot read is a <see cref="FormatException"/>: upstream's
/// YAML loader fails on the same files, and its probes then fall back to their defaults.
/// </summary>
internal sealed class ProbeYaml(Dictionary<string, string> values)
{
    public static ProbeYaml Empty { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    public static ProbeYaml Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        // the open mappings: indentation and the path that leads to them
        var open = new List<(int Indent, string Path)>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = YamlText.WithoutComment(raw.TrimEnd('\r')).TrimEnd();
            if (line.Trim().Length == 0 || line.Trim() is "---" or "...")
            {
                continue;
            }
            var indent = line.Length - line.TrimStart(' ').Length;
            if (line[indent] == '\t')
            {
                throw new FormatException($"line {number} is indented with a tab");
            }
            var content = line[indent..];
            if (content.StartsWith('-'))
            {
                // a block list item: kept whole under its key, which none of the probes' numbers use
                var parent = open.LastOrDefault(o => o.Indent < indent).Path ?? "";
                values[parent] = values.TryGetValue(parent, out var items) ? items + "\n" + content : content;
                continue;
            }
            var colon = KeyEnd(content);
            if (colon < 0)
            {
                throw new FormatException($"line {number} is not 'key: value'");
            }
            while (open.Count > 0 && open[^1].Indent >= indent)
            {
                open.RemoveAt(open.Count - 1);
            }
            var key = Unquote(content[..colon].Trim());
            var path = open.Count == 0 ? key : open[^1].Path + "." + key;
            var value = content[(colon + 1)..].Trim();
            if (value.Length == 0)
            {
                open.Add((indent, path));
            }
            else
            {
                values[path] = Unquote(value);
            }
        }
        return new ProbeYaml(values);
    }

    public string? Text(string path) => values.GetValueOrDefault(path);

    /// <summary>A number, or null when absent; a <see cref="FormatException"/> naming the key when it is not one.</summary>
    public double? Number(string path) =>
        Text(path) is not { } text ? null
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value
        : throw new FormatException($"{path} is '{text}', not a number");

    /// <summary>YAML 1.1 booleans (Ruby's Psych and Python's PyYAML read yes/no/on/off too); null when absent.</summary>
    public bool? Flag(string path) => Text(path)?.ToLowerInvariant() switch
    {
        null => null,
        "true" or "yes" or "on" or "y" => true,
        "false" or "no" or "off" or "n" => false,
        var other => throw new FormatException($"{path} is '{other}', not true or false"),
    };

    public bool Has(string path) => values.ContainsKey(path) || values.Keys.Any(k => k.StartsWith(path + ".", StringComparison.Ordinal));

    /// <summary>Where the key ends: the first ':' followed by a space or the end of the line, after a leading ':' of a symbol.</summary>
    private static int KeyEnd(string content)
    {
        var quote = content[0] is '"' or '\'' ? content.IndexOf(content[0], 1) : -1;
        for (var i = Math.Max(quote + 1, content[0] == ':' ? 1 : 0); i < content.Length; i++)
        {
            if (content[i] == ':' && (i + 1 == content.Length || content[i + 1] == ' '))
            {
                return i;
            }
        }
        return -1;
    }

    private static string Unquote(string text) =>
        text.Length >= 2 && (text[0] == '"' || text[0] == '\'') && text[^1] == text[0] ? text[1..^1] : text;
}
