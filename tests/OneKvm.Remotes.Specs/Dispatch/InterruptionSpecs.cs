using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Driver;
using Xunit;

namespace OneKvm.Remotes.Specs.Dispatch;

/// <summary>SIGTERM/SIGINT end the process whatever it is doing: cooperatively first, then for good.</summary>
public sealed class InterruptionSpecs
{
    [Fact]
    public void The_first_signal_cancels_the_action_and_the_process_ends_when_the_grace_runs_out()
    {
        var time = new ManualTime();
        var stderr = new StringWriter();
        var exits = new List<int>();
        using var interruption = new Interruption("save", stderr, exits.Add, time);

        interruption.Signal();

        Assert.True(interruption.Token.IsCancellationRequested);
        Assert.Empty(exits);
        var (fire, due) = Assert.Single(time.Timers);
        Assert.Equal(Interruption.Grace, due);

        fire();

        Assert.Equal([1], exits);
        Assert.Equal("save was interrupted by a signal before it finished.", stderr.ToString().Trim());
    }

    [Fact]
    public void A_second_signal_ends_the_process_at_once()
    {
        var time = new ManualTime();
        var exits = new List<int>();
        using var interruption = new Interruption("deploy", new StringWriter(), exits.Add, time);

        interruption.Signal();
        interruption.Signal();

        Assert.Equal([1], exits);
        Assert.Single(time.Timers);
    }

    [Fact]
    public void Without_a_signal_nothing_is_cancelled_and_nothing_ends()
    {
        var time = new ManualTime();
        var exits = new List<int>();
        using var interruption = new Interruption("deploy", new StringWriter(), exits.Add, time);

        Assert.False(interruption.Token.IsCancellationRequested);
        Assert.Empty(time.Timers);
        Assert.Empty(exits);
    }

    /// <summary>Records the timers it is asked for; a test fires them.</summary>
    private sealed class ManualTime : TimeProvider
    {
        public List<(Action Fire, TimeSpan Due)> Timers { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Timers.Add((() => callback(state), dueTime));
            return new Unfired();
        }

        private sealed class Unfired : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
