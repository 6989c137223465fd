using System.Collections.Immutable;

namespace OneKvm.Remotes.Virsh;

/// <summary>
/// One virsh invocation as a value: the verb, its arguments as an array (never a
/// shell string), and how it is run. Build it with <see cref="Create"/> and the
/// <c>With*</c> methods; the runner adds <c>--connect</c>.
/// </summary>
internal sealed record VirshCommand
{
    private VirshCommand(string verb, ImmutableArray<string> arguments)
    {
        Verb = verb;
        Arguments = arguments;
    }

    public string Verb { get; }

    public ImmutableArray<string> Arguments { get; private init; }

    public bool ReadOnly { get; private init; }

    /// <summary>Null: the runner's VIRSH_TIMEOUT. <see cref="Timeout.InfiniteTimeSpan"/>: bounded only by one_vmm_exec's action timeout.</summary>
    public TimeSpan? Timeout { get; private init; }

    /// <summary>Fragments of virsh's stderr that mean "try again", besides the runner's own.</summary>
    public ImmutableArray<string> TransientErrors { get; private init; } = [];

    public string? StandardInput { get; private init; }

    public static VirshCommand Create(string verb, params IEnumerable<string> arguments) =>
        new(verb, [.. arguments]);

    public VirshCommand WithArguments(params IEnumerable<string> more) => this with { Arguments = Arguments.AddRange(more) };

    public VirshCommand WithReadOnly(bool readOnly = true) => this with { ReadOnly = readOnly };

    public VirshCommand WithTimeout(TimeSpan timeout) => this with { Timeout = timeout };

    /// <summary>
    /// For calls whose length grows with the guest (create, destroy, save, restore, migrate,
    /// snapshots, blockresize, a passthrough or memory hot-plug): VIRSH_TIMEOUT would cut a
    /// large VM's call short. Upstream runs them unbounded too; one_vmm_exec's own action
    /// timeout (its -w option, unset in the stock oned.conf) and a signal still stop them.
    /// </summary>
    public VirshCommand WithoutTimeout() => this with { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    public VirshCommand WithRetryOn(params IEnumerable<string> stderrFragments) =>
        this with { TransientErrors = TransientErrors.AddRange(stderrFragments) };

    public VirshCommand WithStandardInput(string text) => this with { StandardInput = text };

    /// <summary>The argv after the program name.</summary>
    public IReadOnlyList<string> ToArguments(string uri)
    {
        var argv = new List<string>(Arguments.Length + 4) { "--connect", uri };
        if (ReadOnly)
        {
            argv.Add("--readonly");
        }
        argv.Add(Verb);
        argv.AddRange(Arguments);
        return argv;
    }

    /// <summary>The command as an operator could paste it into a shell, for log lines.</summary>
    public string Render(string uri) => "virsh " + string.Join(' ', ToArguments(uri).Select(ShellQuote.Quote));
}
