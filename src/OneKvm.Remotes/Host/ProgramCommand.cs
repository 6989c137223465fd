using System.Collections.Immutable;

namespace OneKvm.Remotes.Host;

/// <summary>
/// One program run as a value: the program (found in PATH only: <see cref="ProgramPath"/>), its arguments as
/// an array (never a shell line), the variables it gets on top of ours, its stdin, its deadline and its retry
/// policy. Immutable; build it with <see cref="Create"/> and <c>With*</c>. <see cref="ProgramRunner"/> runs
/// every one; a preset (virsh: Virsh/VirshRunner) fills in what a call leaves unset.
/// </summary>
internal sealed record ProgramCommand(string Program, ImmutableArray<string> Arguments)
{
    public ImmutableDictionary<string, string> Environment { get; private init; } = ImmutableDictionary<string, string>.Empty;

    public byte[]? StandardInput { get; private init; }

    /// <summary>Null: the preset's (VIRSH_TIMEOUT), or none. <see cref="Timeout.InfiniteTimeSpan"/>: none.</summary>
    public TimeSpan? Deadline { get; private init; }

    /// <summary>Null: the preset's, or a single attempt.</summary>
    public RetryPolicy? Retry { get; private init; }

    /// <summary>How a failure names the call ("virsh save", "ssh node2 sudo"); the program by default.</summary>
    public string Label { get; private init; } = Program;

    public static ProgramCommand Create(string program, params IEnumerable<string> arguments) => new(program, [.. arguments]);

    /// <summary>A tool whose messages are read or quoted: LANG=C, so that they do not depend on the session's locale.</summary>
    public static ProgramCommand Tool(string program, params IEnumerable<string> arguments) =>
        Create(program, arguments).WithEnvironment([new("LANG", "C"), new("LC_ALL", "C")]);

    public ProgramCommand WithProgram(string program) => this with { Program = program };

    public ProgramCommand WithArguments(params IEnumerable<string> more) => this with { Arguments = Arguments.AddRange(more) };

    public ProgramCommand WithLeadingArguments(params IEnumerable<string> first) => this with { Arguments = Arguments.InsertRange(0, first) };

    public ProgramCommand WithEnvironment(IEnumerable<KeyValuePair<string, string>> variables) => this with { Environment = Environment.SetItems(variables) };

    public ProgramCommand WithStandardInput(string text) => WithStandardInput(Encoding.UTF8.GetBytes(text));

    public ProgramCommand WithStandardInput(byte[] bytes) => this with { StandardInput = bytes };

    public ProgramCommand WithDeadline(TimeSpan deadline) => this with { Deadline = deadline };

    /// <summary>For a call whose length grows with the data (an image copy, a large VM's save): bounded only by a signal.</summary>
    public ProgramCommand WithoutDeadline() => this with { Deadline = Timeout.InfiniteTimeSpan };

    public ProgramCommand WithRetry(RetryPolicy retry) => this with { Retry = retry };

    public ProgramCommand WithLabel(string label) => this with { Label = label };

    /// <summary>The command as an operator could paste it into a shell, for log lines.</summary>
    public string Render() => string.Join(' ', Arguments.Prepend(Path.GetFileName(Program)).Select(ShellQuote.Quote));
}
