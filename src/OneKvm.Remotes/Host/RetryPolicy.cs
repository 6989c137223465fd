using System.Collections.Immutable;

namespace OneKvm.Remotes.Host;

/// <summary>
/// When a failed run is tried again, how often in total and how far apart: declared on the
/// command (<see cref="ProgramCommand.WithRetry"/>). Attempts count every run, the first one
/// included. What a policy leaves unset comes from the preset's (<see cref="Over"/>), and
/// without one a command runs once.
/// </summary>
internal sealed record RetryPolicy
{
    public static readonly RetryPolicy Once = new() { Attempts = 1 };

    public static readonly RetryPolicy Unset = new();

    public int? Attempts { get; private init; }

    public TimeSpan? Delay { get; private init; }

    /// <summary>Fragments of stderr that mean "try again" (case-insensitive).</summary>
    public ImmutableArray<string> RetryOn { get; private init; } = [];

    /// <summary>Failures to try again besides <see cref="RetryOn"/>; asked only when an attempt is left.</summary>
    public Func<ProgramResult, CancellationToken, ValueTask<bool>>? RetryWhen { get; private init; }

    public RetryPolicy WithAttempts(int attempts) => this with { Attempts = Math.Max(1, attempts) };

    public RetryPolicy WithDelay(TimeSpan delay) => this with { Delay = delay };

    public RetryPolicy WithRetryOn(params IEnumerable<string> stderrFragments) => this with { RetryOn = RetryOn.AddRange(stderrFragments) };

    public RetryPolicy WithRetryWhen(Func<ProgramResult, CancellationToken, ValueTask<bool>> retryWhen)
    {
        var before = RetryWhen;
        return this with
        {
            RetryWhen = before is null ? retryWhen : async (r, ct) => await before(r, ct).ConfigureAwait(false) || await retryWhen(r, ct).ConfigureAwait(false),
        };
    }

    /// <summary>This policy where it says something, <paramref name="preset"/> where it does not; both sets of failures are retried.</summary>
    public RetryPolicy Over(RetryPolicy preset)
    {
        var merged = preset with { Attempts = Attempts ?? preset.Attempts, Delay = Delay ?? preset.Delay, RetryOn = preset.RetryOn.AddRange(RetryOn) };
        return RetryWhen is null ? merged : merged.WithRetryWhen(RetryWhen);
    }

    public async ValueTask<bool> ShouldRetryAsync(ProgramResult failed, CancellationToken cancellationToken) =>
        RetryOn.Any(fragment => failed.StandardError.Contains(fragment, StringComparison.OrdinalIgnoreCase))
        || (RetryWhen is not null && await RetryWhen(failed, cancellationToken).ConfigureAwait(false));
}
