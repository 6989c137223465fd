using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace OneKvm.Remotes.Specs.Infrastructure;

/// <summary>
/// A <see cref="FakeTimeProvider"/> whose timers a spec can wait for: each timer created (a
/// retry's delay, a run's deadline) is announced with its due time, so the spec moves the clock
/// only once the code under test waits on it.
/// </summary>
internal sealed class WatchedClock : TimeProvider
{
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public FakeTimeProvider Fake { get; } = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    /// <summary>The due time of the next timer the code creates (a minute of real time at most).</summary>
    public async Task<TimeSpan> NextTimerAsync() => await _timers.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1));

    public void Advance(TimeSpan by) => Fake.Advance(by);
}
