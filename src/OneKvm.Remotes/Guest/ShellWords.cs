namespace OneKvm.Remotes.Guest;

/// <summary>
/// Splits a command line into words the way a POSIX shell does, without expanding
/// anything: blanks separate words, single quotes keep everything literally, double
/// quotes keep everything but \" \\ \$ \` and a backslash-newline, a backslash outside
/// quotes keeps the next character. $(...), ;, | and * are plain characters.
/// </summary>
internal static class ShellWords
{
    /// <summary>The words; throws FormatException naming the unterminated quote.</summary>
    public static IReadOnlyList<string> Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            switch (c)
            {
                case ' ' or '\t' or '\n':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }
                    break;
                case '\'':
                    var close = line.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new FormatException($"a single quote at character {i + 1} is never closed");
                    }
                    word.Append(line, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    i = DoubleQuoted(line, i, word);
                    inWord = true;
                    break;
                case '\\' when i + 1 < line.Length:
                    // backslash-newline joins lines; a backslash at the end stays (default)
                    if (line[++i] != '\n')
                    {
                        word.Append(line[i]);
                        inWord = true;
                    }
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    /// <summary>Appends the content of the double-quoted string opening at <paramref name="open"/>; returns the closing index.</summary>
    private static int DoubleQuoted(string line, int open, StringBuilder word)
    {
        for (var i = open + 1; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '"')
            {
                return i;
            }
            if (c == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$' or '`' or '\n')
            {
                if (line[++i] != '\n')
                {
                    word.Append(line[i]);
                }
                continue;
            }
            word.Append(c);
        }
        throw new FormatException($"a double quote at character {open + 1} is never closed");
    }
}
