using Microsoft.Extensions.Time.Testing;

namespace OneKvm.Remotes.Specs.Infrastructure;

/// <summary>
/// A fake clock (starting now) on which every wait ends at once: the clock moves on by exactly
/// the wait, which is recorded. So a loop bounded by time gives up when the fake clock reaches
/// its limit, however fast the test runs, and a spec reads how long it waited from <see cref="Elapsed"/>.
/// A deadline (a CancellationTokenSource's timer: a program run past VIRSH_TIMEOUT) is no wait: it
/// runs on the real clock, so that a program the spec makes hang is killed when its time is up and
/// one that answers is not killed at once. ProgramRunnerSpecs test deadlines on a fake clock of their own.
/// </summary>
internal sealed class SpecTime() : FakeTimeProvider(DateTimeOffset.UtcNow)
{
    private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;

    public List<TimeSpan> Sleeps { get; } = [];

    /// <summary>How far the fake clock has moved since the spec began.</summary>
    public TimeSpan Elapsed => Sleeps.Aggregate(TimeSpan.Zero, (a, b) => a + b);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (state is CancellationTokenSource)
        {
            return System.CreateTimer(callback, state, dueTime, period);
        }
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
        {
            lock (Sleeps)
            {
                Sleeps.Add(dueTime);
            }
            Advance(dueTime);
        }
        return timer;
    }
}
