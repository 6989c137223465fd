using System.ComponentModel;
using CliWrap;
using CliWrap.Buffered;

namespace OneKvm.Remotes.Host;

/// <summary>
/// Runs every program onekvm starts: through CliWrap with the command's argument array (no shell),
/// found in PATH only, stdout and stderr read concurrently, with the command's deadline (which kills
/// the process tree) and retry policy, both on <see cref="Time"/>. Immutable; configure with <c>With*</c>.
/// </summary>
internal sealed record ProgramRunner
{
    public static readonly ProgramRunner Default = new();

    public TimeProvider Time { get; private init; } = TimeProvider.System;

    /// <summary>Told about each failed attempt that will be retried (and the delay), and each run killed at its deadline.</summary>
    public Action<ProgramEvent>? Observer { get; private init; }

    public ProgramRunner WithTime(TimeProvider time) => this with { Time = time };

    public ProgramRunner WithObserver(Action<ProgramEvent>? observer) => this with { Observer = observer };

    /// <summary>
    /// Runs the command, again while its policy says so, and returns the last attempt; a non-zero exit is
    /// the caller's to judge. A run past its deadline throws <see cref="ProgramTimeoutException"/>.
    /// </summary>
    public async Task<ProgramResult> RunAsync(ProgramCommand command, CancellationToken cancellationToken = default)
    {
        var retry = command.Retry ?? RetryPolicy.Once;
        for (var attempt = 1; ; attempt++)
        {
            var result = await RunOnceAsync(command, attempt, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded || attempt >= (retry.Attempts ?? 1) || !await retry.ShouldRetryAsync(result, cancellationToken).ConfigureAwait(false))
            {
                return result;
            }
            var delay = retry.Delay ?? TimeSpan.Zero;
            Observer?.Invoke(new ProgramEvent(false, result, delay));
            await Task.Delay(delay, Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs the command and answers its stdout; a non-zero exit is a OneKvmException clause "label failed: reason".</summary>
    public async Task<string> RunOrFailAsync(ProgramCommand command, CancellationToken cancellationToken)
    {
        var result = await RunAsync(command, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result.StandardOutput : throw new OneKvmException($"{command.Label} failed: {result.Reason()}");
    }

    /// <summary>Starts a program the action does not wait for (its output to pipes of this process); null, or why it could not start.</summary>
    public string? Start(ProgramCommand command)
    {
        try
        {
            _ = Prepare(command).ExecuteAsync(CancellationToken.None); // not awaited: the action may exit while it works
            return null;
        }
        catch (Win32Exception e)
        {
            return e.Message;
        }
    }

    private static Command Prepare(ProgramCommand command) =>
        Cli.Wrap(ProgramPath.Resolve(command.Program))
            .WithArguments(command.Arguments)
            .WithEnvironmentVariables(command.Environment!)
            .WithStandardInputPipe(command.StandardInput is null ? PipeSource.Null : PipeSource.FromBytes(command.StandardInput))
            .WithValidation(CommandResultValidation.None);

    private async Task<ProgramResult> RunOnceAsync(ProgramCommand command, int attempt, CancellationToken cancellationToken)
    {
        var deadline = command.Deadline ?? Timeout.InfiniteTimeSpan;
        using var timer = deadline == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(deadline, Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        var started = Time.GetTimestamp();
        try
        {
            var run = await Prepare(command).ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8, linked.Token).ConfigureAwait(false);
            return new ProgramResult(command, run.ExitCode, run.StandardOutput, run.StandardError, attempt, Time.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var killed = new ProgramResult(command, -1, "", "", attempt, Time.GetElapsedTime(started));
            Observer?.Invoke(new ProgramEvent(true, killed, deadline));
            throw new ProgramTimeoutException(killed, deadline);
        }
        catch (Win32Exception e)
        {
            throw new OneKvmException($"cannot run '{command.Program}': {e.Message.TrimEnd('.')}", e);
        }
    }
}

/// <summary>A log line's worth: an attempt that failed and is retried after <paramref name="Delay"/>, or a run killed at its deadline.</summary>
internal sealed record ProgramEvent(bool TimedOut, ProgramResult Result, TimeSpan Delay);

/// <summary>A run killed because it passed its deadline (VIRSH_TIMEOUT for most).</summary>
internal sealed class ProgramTimeoutException(ProgramResult result, TimeSpan deadline)
    : OneKvmException($"{result.Command.Label} did not finish within {deadline.TotalSeconds:0.#} s (VIRSH_TIMEOUT) and was killed")
{
    public ProgramResult Result { get; } = result;

    public TimeSpan Deadline { get; } = deadline;
}
