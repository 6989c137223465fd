namespace OneKvm.Remotes.Host;

/// <summary>The comment rule of the YAML that the probes' and the guest agent's configuration files are written in.</summary>
internal static class YamlText
{
    /// <summary>
    /// The line without its comment: a '#' at the line's start or after a space or tab, outside quotes. A quote opens a
    /// quoted scalar only where one can start (the line's start, after a space, '[', ',' or ':'), as upstream's Ruby YAML
    /// reads <c>owner: o'neil # admin</c>: the apostrophe of a plain scalar is a character like any other.
    /// </summary>
    public static string WithoutComment(string line)
    {
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is { } open)
            {
                quote = c == open ? null : open;
            }
            else if (c is '\'' or '"' && (i == 0 || line[i - 1] is ' ' or '[' or ',' or ':'))
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || line[i - 1] is ' ' or '\t'))
            {
                return line[..i];
            }
        }
        return line;
    }
}
