using System.Collections.Immutable;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using CliWrap;
using CliWrap.Buffered;
using OneKvm.Remotes.Host;

namespace OneKvm.Remotes.Virsh;

/// <summary>
/// Runs virsh (found in PATH only: <see cref="ProgramPath"/>): argument arrays through CliWrap (no shell), stdout and stderr read
/// concurrently, LANG=C, a timeout that kills the process tree, and retries only
/// for failures known to be transient. Immutable; configure with <c>With*</c>.
/// </summary>
internal sealed record VirshRunner
{
    public static readonly VirshRunner Default = new();

    private VirshRunner()
    {
    }

    public string Executable { get; private init; } = "virsh";

    public string Uri { get; private init; } = "qemu:///system";

    public TimeSpan Timeout { get; private init; } = TimeSpan.FromSeconds(60);

    /// <summary>Total attempts for a transient failure (VIRSH_RETRIES).</summary>
    public int Attempts { get; private init; } = 3;

    /// <summary>Delay before attempt n+1 (n starts at 1).</summary>
    public Func<int, TimeSpan> RetryDelay { get; private init; } = _ => TimeSpan.FromSeconds(1);

    /// <summary>How the runner waits; tests replace it so that they never sleep.</summary>
    public Func<TimeSpan, CancellationToken, Task> Sleep { get; private init; } = Task.Delay;

    public ImmutableDictionary<string, string> Environment { get; private init; } =
        ImmutableDictionary<string, string>.Empty;

    /// <summary>Told about each failed attempt that will be retried, and each timeout.</summary>
    public Action<VirshEvent>? Observer { get; private init; }

    public VirshRunner WithExecutable(string executable) => this with { Executable = executable };

    public VirshRunner WithUri(string uri) => this with { Uri = uri };

    public VirshRunner WithTimeout(TimeSpan timeout) => this with { Timeout = timeout };

    public VirshRunner WithAttempts(int attempts) => this with { Attempts = Math.Max(1, attempts) };

    public VirshRunner WithRetryDelay(Func<int, TimeSpan> delay) => this with { RetryDelay = delay };

    public VirshRunner WithSleep(Func<TimeSpan, CancellationToken, Task> sleep) => this with { Sleep = sleep };

    public VirshRunner WithEnvironment(IEnumerable<KeyValuePair<string, string>> variables) =>
        this with { Environment = Environment.SetItems(variables) };

    public VirshRunner WithObserver(Action<VirshEvent>? observer) => this with { Observer = observer };

    /// <summary>Runs the command; a non-zero exit becomes a <see cref="VirshException"/>.</summary>
    public async Task<VirshResult> RunAsync(VirshCommand command, CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(command, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result : throw new VirshException(result);
    }

    /// <summary>Runs the command and returns whatever it did; only a timeout or a missing virsh throws.</summary>
    public async Task<VirshResult> TryRunAsync(VirshCommand command, CancellationToken cancellationToken = default)
    {
        var attempt = 1;
        while (true)
        {
            var result = await RunOnceAsync(command, attempt, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded || attempt >= Attempts || !IsTransient(command, result.StandardError))
            {
                return result;
            }
            var delay = RetryDelay(attempt);
            Observer?.Invoke(new VirshEvent(VirshEventKind.Retrying, result, delay));
            await Sleep(delay, cancellationToken).ConfigureAwait(false);
            attempt++;
        }
    }

    private static bool IsTransient(VirshCommand command, string stderr) =>
        VirshErrors.AlwaysTransient.Concat(command.TransientErrors)
            .Any(fragment => stderr.Contains(fragment, StringComparison.OrdinalIgnoreCase));

    private async Task<VirshResult> RunOnceAsync(VirshCommand command, int attempt, CancellationToken cancellationToken)
    {
        var timeout = command.Timeout ?? Timeout;
        var arguments = command.ToArguments(Uri);
        var cli = Cli.Wrap(Executable)
            .WithArguments(arguments)
            .WithEnvironmentVariables(env =>
            {
                foreach (var (name, value) in Environment)
                {
                    env.Set(name, value);
                }
                // stable, parseable messages whatever the ssh session's locale
                env.Set("LANG", "C").Set("LC_ALL", "C");
            })
            .WithStandardInputPipe(command.StandardInput is null
                ? PipeSource.Null
                : PipeSource.FromString(command.StandardInput, Encoding.UTF8))
            .WithValidation(CommandResultValidation.None);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            deadline.CancelAfter(timeout);
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            var buffered = await cli.WithTargetFile(ProgramPath.Resolve(Executable))
                .ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8, deadline.Token)
                .ConfigureAwait(false);
            return new VirshResult(command, command.Render(Uri), buffered.ExitCode, buffered.StandardOutput,
                buffered.StandardError, attempt, Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var killed = new VirshResult(command, command.Render(Uri), -1, "", "", attempt, Stopwatch.GetElapsedTime(started));
            Observer?.Invoke(new VirshEvent(VirshEventKind.TimedOut, killed, timeout));
            throw new VirshTimeoutException(killed, timeout);
        }
        catch (Win32Exception e)
        {
            throw new VirshNotFoundException(Executable, e);
        }
    }
}

internal enum VirshEventKind
{
    Retrying,
    TimedOut,
}

/// <summary>Something worth a log line that happened while running virsh.</summary>
internal sealed record VirshEvent(VirshEventKind Kind, VirshResult Result, TimeSpan Delay);
