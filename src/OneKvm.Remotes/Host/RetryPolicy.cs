using System.Collections.Immutable;

namespace OneKvm.Remotes.Host;

/// <summary>
/// When a failed run is tried again, how often in all (the first run counts) and how far apart;
/// declared on the command. What it leaves unset comes from the preset's policy (<see cref="Over"/>);
/// without either, a command runs once.
/// </summary>
internal sealed record RetryPolicy
{
    public static readonly RetryPolicy Unset = new();

    public static readonly RetryPolicy Once = new() { Attempts = 1 };

    public int? Attempts { get; private init; }

    public TimeSpan? Delay { get; private init; }

    /// <summary>Fragments of stderr that mean "try again" (any case).</summary>
    public ImmutableArray<string> RetryOn { get; private init; } = [];

    /// <summary>Further failures worth another run; asked only while an attempt is left.</summary>
    public Func<ProgramResult, CancellationToken, ValueTask<bool>>? RetryWhen { get; private init; }

    public RetryPolicy WithAttempts(int attempts) => this with { Attempts = Math.Max(1, attempts) };

    public RetryPolicy WithDelay(TimeSpan delay) => this with { Delay = delay };

    public RetryPolicy WithRetryOn(params IEnumerable<string> stderrFragments) => this with { RetryOn = RetryOn.AddRange(stderrFragments) };

    public RetryPolicy WithRetryWhen(Func<ProgramResult, CancellationToken, ValueTask<bool>> retryWhen) => this with { RetryWhen = retryWhen };

    /// <summary>This policy where it says something, <paramref name="preset"/> where it does not; the failures of both are retried.</summary>
    public RetryPolicy Over(RetryPolicy preset) =>
        this with { Attempts = Attempts ?? preset.Attempts, Delay = Delay ?? preset.Delay, RetryOn = preset.RetryOn.AddRange(RetryOn) };

    public async ValueTask<bool> ShouldRetryAsync(ProgramResult failed, CancellationToken cancellationToken) =>
        RetryOn.Any(fragment => failed.StandardError.Contains(fragment, StringComparison.OrdinalIgnoreCase))
        || (RetryWhen is not null && await RetryWhen(failed, cancellationToken).ConfigureAwait(false));
}
