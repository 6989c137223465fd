namespace OneKvm.Remotes.Kvmrc;

/// <summary>
/// Reads the subset of shell that kvmrc files are written in, without ever running
/// anything: comments, <c>export</c>, <c>NAME=value</c>, quotes, backslash escapes,
/// <c>$NAME</c>, <c>${NAME}</c>, <c>${NAME:-word}</c> and <c>${NAME-word}</c>.
/// Anything else (commands, substitutions, redirections, compound commands) is
/// reported as a warning and that line is skipped whole; the rest still applies.
/// </summary>
internal sealed class KvmrcParser(string file, string text, Func<string, string?> environment)
{
    private static readonly HashSet<string> BlockOpeners = new(StringComparer.Ordinal)
        { "if", "case", "for", "while", "until", "select", "{", "function" };

    private static readonly HashSet<string> BlockClosers = new(StringComparer.Ordinal)
        { "fi", "esac", "done", "}" };

    private const string UnterminatedBrace = "an unterminated ${...}";

    private readonly List<KvmrcAssignment> _assignments = [];
    private readonly List<KvmrcWarning> _warnings = [];
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _pending = new(StringComparer.Ordinal);
    private int _pos;
    private int _line = 1;

    public static KvmrcDocument Parse(string file, string text, Func<string, string?> environment)
    {
        var parser = new KvmrcParser(file, text, environment);
        parser.ParseAll();
        return new KvmrcDocument(file, exists: true, parser._assignments, parser._warnings);
    }

    /// <exception cref="Errors.OneKvmException">The file exists but is no regular file, is too large or unreadable.</exception>
    public static KvmrcDocument Load(string path, Func<string, string?> environment) =>
        RegularFile.TryReadText(path, "kvmrc") is { } text
            ? Parse(path, text, environment)
            : new KvmrcDocument(path, exists: false, [], []);

    private void ParseAll()
    {
        var blockDepth = 0;
        var blockStart = 0;
        while (_pos < text.Length)
        {
            var startLine = _line;
            var words = new List<Word>();
            string? error = null;
            _pending.Clear();
            var pendingAssignments = new List<KvmrcAssignment>();
            var exportCommand = false;

            while (true)
            {
                SkipBlanks();
                if (_pos >= text.Length || text[_pos] == '\n' || text[_pos] == ';')
                {
                    break;
                }
                if (text[_pos] == '#')
                {
                    SkipToLineEnd();
                    break;
                }
                var wordStart = _pos;
                var word = ReadWord(out var wordError);
                if (_pos == wordStart)
                {
                    // every character is consumed by some rule; this guard keeps a future gap from looping forever
                    _pos++;
                    wordError ??= $"the character '{text[wordStart]}'";
                }
                words.Add(word);
                error ??= wordError;
                if (error is not null || blockDepth > 0)
                {
                    continue;
                }
                error = Interpret(word, words.Count == 1, ref exportCommand, pendingAssignments, startLine);
            }
            if (_pos < text.Length)
            {
                if (text[_pos] == '\n')
                {
                    _line++;
                }
                _pos++;
            }
            if (words.Count == 0 && error is null)
            {
                continue;
            }

            var first = words.Count > 0 && !words[0].Quoted ? words[0].Raw : null;
            if (first is not null && (BlockOpeners.Contains(first) || first.EndsWith("()", StringComparison.Ordinal)))
            {
                if (blockDepth == 0)
                {
                    blockStart = startLine;
                }
                blockDepth++;
                continue;
            }
            if (blockDepth > 0)
            {
                if (first is not null && BlockClosers.Contains(first) && --blockDepth == 0)
                {
                    Warn(blockStart, $"a shell compound command (lines {blockStart}-{startLine}) is not interpreted");
                }
                continue;
            }
            if (error is not null)
            {
                Warn(startLine, error);
                continue;
            }
            foreach (var a in pendingAssignments)
            {
                _values[a.Name] = a.Value;
                _assignments.Add(a);
            }
        }
        if (blockDepth > 0)
        {
            Warn(blockStart, "a shell compound command is never closed; it is not interpreted");
        }
        if (_unwarned > 0)
        {
            _warnings.Add(new KvmrcWarning(file, _line, $"{_unwarned} more line(s) could not be interpreted either, beyond the first {MaxWarnings} listed"));
        }
    }

    /// <returns>null when the word was understood, otherwise why not.</returns>
    private string? Interpret(Word word, bool isFirst, ref bool exportCommand,
        List<KvmrcAssignment> pending, int line)
    {
        if (isFirst && !word.Quoted && word.Text == "export")
        {
            exportCommand = true;
            return null;
        }
        if (word.AssignmentName is { } name)
        {
            pending.Add(new KvmrcAssignment(name, word.Text, exportCommand, line));
            _pending[name] = word.Text;
            return null;
        }
        if (exportCommand && !word.Quoted && IsName(word.Text))
        {
            // "export NAME" only changes whether an existing value reaches child processes
            var current = Lookup(word.Text);
            if (current is not null)
            {
                pending.Add(new KvmrcAssignment(word.Text, current, true, line));
            }
            return null;
        }
        var shown = word.Raw.Length > 40 ? word.Raw[..40] + "..." : word.Raw;
        return exportCommand
            ? $"'export {shown}' is not an assignment"
            : $"'{shown}' is a command, not an assignment, and kvmrc is never executed";
    }

    private string? Lookup(string name) =>
        _pending.TryGetValue(name, out var p) ? p
        : _values.TryGetValue(name, out var v) ? v
        : environment(name);

    /// <summary>Beyond this many, one more warning says how many lines were ignored without one.</summary>
    public const int MaxWarnings = 100;

    private int _unwarned;

    private void Warn(int line, string reason)
    {
        if (_warnings.Count < MaxWarnings)
        {
            _warnings.Add(new KvmrcWarning(file, line, reason));
        }
        else
        {
            _unwarned++;
        }
    }

    private void SkipBlanks()
    {
        while (_pos < text.Length)
        {
            var c = text[_pos];
            if (c is ' ' or '\t' or '\r')
            {
                _pos++;
            }
            else if (c == '\\' && _pos + 1 < text.Length && text[_pos + 1] == '\n')
            {
                _pos += 2;
                _line++;
            }
            else
            {
                break;
            }
        }
    }

    private void SkipToLineEnd()
    {
        var end = text.IndexOf('\n', _pos);
        _pos = end < 0 ? text.Length : end;
    }

    private Word ReadWord(out string? error)
    {
        error = null;
        var start = _pos;
        var sb = new StringBuilder();
        var quoted = false;
        string? assignment = null;
        // whether the word so far is plain name characters: only then is a '=' an assignment
        // (tracked, not re-checked at each '=', which made a long word of '=' quadratic)
        var plainName = true;
        while (_pos < text.Length)
        {
            var c = text[_pos];
            if (c is ' ' or '\t' or '\r' or '\n' or ';')
            {
                break;
            }
            if (c == '=' && assignment is null && plainName && IsName(sb.ToString()))
            {
                assignment = sb.ToString();
                sb.Clear();
                _pos++;
                continue;
            }
            if (assignment is null && !(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                plainName = false;
            }
            switch (c)
            {
                case '\'':
                    quoted = true;
                    _pos++;
                    var close = text.IndexOf('\'', _pos);
                    if (close < 0)
                    {
                        error = "an unterminated single quote";
                        SkipToLineEnd();
                        break;
                    }
                    var literal = text[_pos..close];
                    _line += literal.Count(ch => ch == '\n');
                    sb.Append(literal);
                    _pos = close + 1;
                    break;
                case '"':
                    quoted = true;
                    var (quoteAt, quoteLine) = (_pos, _line);
                    _pos++;
                    if (ReadDoubleQuoted(sb) is { } quoteError)
                    {
                        error ??= quoteError;
                        if (_pos >= text.Length)
                        {
                            // never closed: only this line is lost, the rest of the file still applies
                            (_pos, _line) = (quoteAt, quoteLine);
                            SkipToLineEnd();
                        }
                    }
                    break;
                case '\\':
                    _pos++;
                    if (_pos < text.Length)
                    {
                        if (text[_pos] == '\n')
                        {
                            _line++;
                        }
                        else
                        {
                            sb.Append(text[_pos]);
                        }
                        _pos++;
                    }
                    break;
                case '$':
                    // always read the expansion, even after an error: it is what moves past the '$'
                    var dollarError = ReadDollar(sb, inDoubleQuotes: false);
                    error ??= dollarError;
                    break;
                case '`':
                    error ??= "a command substitution (`...`)";
                    _pos++;
                    break;
                case '|' or '&' or '<' or '>' or '(' or ')':
                    error ??= $"the shell operator '{c}'";
                    _pos++;
                    break;
                default:
                    sb.Append(c);
                    _pos++;
                    break;
            }
            if (error is not null && _pos >= text.Length)
            {
                break;
            }
        }
        var raw = text[start.._pos].Replace('\n', ' ');
        return new Word(sb.ToString(), raw, quoted, assignment);
    }

    private string? ReadDoubleQuoted(StringBuilder sb)
    {
        string? error = null;
        while (_pos < text.Length)
        {
            var c = text[_pos];
            if (c == '"')
            {
                _pos++;
                return error;
            }
            if (c == '\\' && _pos + 1 < text.Length)
            {
                var next = text[_pos + 1];
                if (next == '\n')
                {
                    _line++;
                }
                else if (next is '$' or '`' or '"' or '\\')
                {
                    sb.Append(next);
                }
                else
                {
                    sb.Append(c).Append(next);
                }
                _pos += 2;
                continue;
            }
            if (c == '$')
            {
                var dollarError = ReadDollar(sb, inDoubleQuotes: true);
                if (dollarError == UnterminatedBrace)
                {
                    // its line is lost, and only its line: the quote does not run on into the next ones
                    return dollarError;
                }
                error ??= dollarError;
                continue;
            }
            if (c == '`')
            {
                error ??= "a command substitution (`...`)";
            }
            if (c == '\n')
            {
                _line++;
            }
            sb.Append(c);
            _pos++;
        }
        return "an unterminated double quote";
    }

    /// <summary>At a '$': expands $NAME, ${NAME}, ${NAME:-word}, ${NAME-word}.</summary>
    private string? ReadDollar(StringBuilder sb, bool inDoubleQuotes)
    {
        _pos++;
        if (_pos >= text.Length)
        {
            sb.Append('$');
            return null;
        }
        var c = text[_pos];
        if (c == '(')
        {
            _pos++;
            return "a command substitution ($(...))";
        }
        if (c == '\'' && !inDoubleQuotes)
        {
            return "ANSI-C quoting ($'...')";
        }
        if (c == '{')
        {
            return ReadBraced(sb);
        }
        if (char.IsAsciiLetter(c) || c == '_')
        {
            var start = _pos;
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] == '_'))
            {
                _pos++;
            }
            sb.Append(Lookup(text[start.._pos]));
            return null;
        }
        if (char.IsAsciiDigit(c) || c is '$' or '?' or '#' or '@' or '*' or '!' or '-')
        {
            _pos++;
            return $"the special parameter ${c}";
        }
        sb.Append('$');
        return null;
    }

    private string? ReadBraced(StringBuilder sb)
    {
        // ${...} never spans lines here: an unterminated one loses its own line, not the rest of the file
        var lineEnd = text.IndexOf('\n', _pos);
        var close = text.IndexOf('}', _pos, (lineEnd < 0 ? text.Length : lineEnd) - _pos);
        if (close < 0)
        {
            SkipToLineEnd();
            return UnterminatedBrace;
        }
        var body = text[(_pos + 1)..close];
        _pos = close + 1;
        var nameLength = 0;
        while (nameLength < body.Length && (char.IsAsciiLetterOrDigit(body[nameLength]) || body[nameLength] == '_'))
        {
            nameLength++;
        }
        var name = body[..nameLength];
        var op = body[nameLength..];
        var colon = op.StartsWith(":-", StringComparison.Ordinal);
        // ${NAME}, or ${NAME:-word} / ${NAME-word} with a word of plain characters
        var fallback = op.Length == 0 ? null : op[(colon ? 2 : 1)..];
        if (!IsName(name) || (fallback is not null && !colon && op[0] != '-')
            || fallback?.IndexOfAny(['$', '`', '\'', '"', '\\']) >= 0)
        {
            return $"the expansion ${{{body}}}";
        }
        var value = Lookup(name);
        sb.Append(fallback is not null && (value is null || (colon && value.Length == 0)) ? fallback : value);
        return null;
    }

    internal static bool IsName(string s) =>
        s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_')
        && s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');

    private sealed record Word(string Text, string Raw, bool Quoted, string? AssignmentName);
}
