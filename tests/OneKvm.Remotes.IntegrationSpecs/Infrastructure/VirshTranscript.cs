using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using OneKvm.Remotes.Specs.Infrastructure;
using OneKvm.Remotes.TestDocuments;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// The virsh calls a run of actions makes, as a text to compare with a golden file: a logging
/// virsh first on the PATH of onekvm runs the real /usr/bin/virsh and appends to a log each call's
/// argv (every argument quoted by bash's printf %q, so spaces, quotes and newlines stay
/// unambiguous), what it read from /dev/stdin (after &lt;&lt;&lt;) and its exit status. Each action run
/// adds a header (entry, arguments, exit status) and the calls it made. What differs between runs
/// is replaced by placeholders: the names a test registers (domains, VM ids, MACs, directories),
/// this run's directory, UUIDs, and what a test's patterns match. A read-only call repeated right
/// after itself (a wait loop polling domstate or dumpxml) is written once: how often a loop polls
/// depends on timing, which call it polls with does not. Every other call is written each time it
/// is made, so a retry shows.
/// </summary>
public sealed partial class VirshTranscript : IDisposable
{
    /// <summary>What the logging virsh answers for an injected failure: an error libvirt calls transient.</summary>
    public const string InjectedError = "error: failed to connect to the hypervisor";

    private readonly StringBuilder _text = new();
    private readonly List<(string Literal, string Placeholder)> _placeholders = [];
    private readonly List<(Regex Pattern, string Replacement)> _patterns = [];
    private readonly string _log;

    /// <param name="failingVerb">a virsh command (restore, save...) the logging virsh fails with <see cref="InjectedError"/>, without running it</param>
    public VirshTranscript(string? failingVerb = null)
    {
        Directory = TestPaths.NewScratchDirectory("argv");
        _log = Path.Combine(Directory, "virsh.log");
        var realVirsh = new[] { "/usr/bin/virsh", "/bin/virsh" }.First(File.Exists);
        // one write per call (O_APPEND), written when the call ends: calls of parallel children never interleave within a line
        ExecutableFile.Write(Path.Combine(Directory, "virsh"), $$"""
            #!/bin/bash
            line="virsh$(printf ' %q' "$@")"
            reads_stdin=no
            for arg in "$@"; do
              [ "$arg" = /dev/stdin ] && reads_stdin=yes
            done
            if [ $reads_stdin = yes ]; then
              input=$(cat; printf x)
              input=${input%x}
              line="$line <<< $(printf '%q' "$input")"
            fi
            for arg in "$@"; do
              if [ -n '{{failingVerb}}' ] && [ "$arg" = '{{failingVerb}}' ]; then
                echo '{{InjectedError}}' >&2
                printf '%s -> exit 1 (injected)\n' "$line" >> '{{_log}}'
                exit 1
              fi
            done
            if [ $reads_stdin = yes ]; then
              {{realVirsh}} "$@" < <(printf '%s' "$input")
            else
              {{realVirsh}} "$@"
            fi
            status=$?
            printf '%s -> exit %d\n' "$line" $status >> '{{_log}}'
            exit $status

            """);
        Driver = Driver.Staged.WithPathFirst(Directory);
        Name(Directory, "<LOGDIR>");
        Name(TestPaths.RunDirectory, "<RUNDIR>");
        Name(TestNames.Description, "<TEST-RUN>");
    }

    /// <summary>The directory holding the logging virsh (put first on PATH by <see cref="Driver"/>).</summary>
    public string Directory { get; }

    /// <summary>The staged entries with the logging virsh first on PATH; change it with With... to add a kvmrc.</summary>
    public Driver Driver { get; }

    /// <summary>Writes <paramref name="placeholder"/> for <paramref name="literal"/> in the transcript; returns the literal.</summary>
    public string Name(string literal, string placeholder)
    {
        if (literal.Length > 0)
        {
            _placeholders.Add((literal, placeholder));
        }
        return literal;
    }

    /// <summary>Replaces what <paramref name="pattern"/> matches with <paramref name="replacement"/> (a number the guest chose...).</summary>
    public void Pattern(string pattern, string replacement) => _patterns.Add((new Regex(pattern, RegexOptions.CultureInvariant), replacement));

    /// <summary>Runs a VMM action (vmm/kvm/&lt;action&gt;) with the logging virsh and records it.</summary>
    public Task<ProcessResult> RunAsync(string action, string stdin, params string[] args) =>
        RunEntryAsync(Driver, $"vmm/kvm/{action}", stdin, args);

    /// <summary>Runs a VMM action under <paramref name="driver"/> (which must keep <see cref="Directory"/> first on PATH).</summary>
    public Task<ProcessResult> RunAsync(Driver driver, string action, string stdin, params string[] args) =>
        RunEntryAsync(driver, $"vmm/kvm/{action}", stdin, args);

    /// <summary>Runs any entry of the remotes tree (a probe, a helper) and records it.</summary>
    public async Task<ProcessResult> RunEntryAsync(Driver driver, string entry, string stdin, params string[] args)
    {
        var result = await driver.RunEntryAsync(entry, stdin, args);
        Record(entry, args, result);
        return result;
    }

    /// <summary>
    /// Runs an entry (a probe) again until <paramref name="done"/> holds of its result or <paramref name="timeout"/> passes, and
    /// records only that last run: how many runs it takes depends on timing, the calls of the run that sees it do not.
    /// </summary>
    public async Task<ProcessResult> RunEntryUntilAsync(Driver driver, string entry, Func<ProcessResult, bool> done, TimeSpan timeout,
        params string[] args)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var result = await driver.RunEntryAsync(entry, "", args);
            if (done(result) || DateTime.UtcNow > deadline)
            {
                Record(entry, args, result);
                return result;
            }
            _ = TakeCalls();
            await Task.Delay(500);
        }
    }

    private void Record(string entry, string[] args, ProcessResult result)
    {
        _text.Append("== ").Append(entry);
        foreach (var arg in args)
        {
            _text.Append(' ').Append(arg.Length == 0 ? "''" : arg);
        }
        _text.Append(" -> exit ").Append(result.ExitCode).Append('\n');
        string? previous = null;
        foreach (var call in TakeCalls())
        {
            if (call != previous || !call.Contains(" --readonly ", StringComparison.Ordinal))
            {
                _text.Append("  ").Append(call).Append('\n');
            }
            previous = call;
        }
    }

    /// <summary>The transcript so far with the placeholders in.</summary>
    public string Text
    {
        get
        {
            var text = _text.ToString();
            foreach (var (literal, placeholder) in _placeholders.OrderByDescending(p => p.Literal.Length))
            {
                text = text.Replace(literal, placeholder, StringComparison.Ordinal);
            }
            text = Uuid().Replace(text, "<UUID>");
            foreach (var (pattern, replacement) in _patterns)
            {
                text = pattern.Replace(text, replacement);
            }
            return text;
        }
    }

    /// <summary>Compares the transcript with Golden/&lt;class&gt;.&lt;method&gt;.verified.txt (ONEKVM_ACCEPT_GOLDEN=1 accepts it).</summary>
    public void Verify([CallerFilePath] string callerFile = "", [CallerMemberName] string method = "") =>
        Golden.VerifyText(Text, "txt", null, callerFile, method);

    private IEnumerable<string> TakeCalls()
    {
        if (!File.Exists(_log))
        {
            return [];
        }
        var lines = File.ReadAllLines(_log);
        File.Delete(_log);
        return lines;
    }

    [GeneratedRegex("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex Uuid();

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
