using OneKvm.Remotes.Dispatch;
using Xunit;

namespace OneKvm.Remotes.Specs.Lifecycle;

/// <summary>
/// Each wait of the lifecycle actions gives up at its limit, and not a poll before: the waits run on
/// a fake clock (<see cref="Infrastructure.SpecTime"/>), so the limit is read off the clock, not guessed.
/// </summary>
public sealed class WaitLimitSpecs : IDisposable
{
    private const string NotFound = "error: failed to get domain 'one-7'\n";

    private readonly LifecycleHost _host = new();

    private TimeSpan Waited => _host.Host.Time.Elapsed;

    [Fact]
    public async Task A_guest_that_powers_off_at_the_last_look_within_shutdown_timeout_is_shut_down()
    {
        _host.WithSetting("SHUTDOWN_TIMEOUT", "30").WithSetting("FORCE_DESTROY", "no");
        // the check before the request, then one look a second: look 30 is at 30 s
        _host.Virsh.On("domstate", stdout: "running\n").On("domstate", stdout: "shut off\n", call: 31).On("shutdown");

        Assert.Equal(0, await _host.RunAsync("shutdown", "one-7"));
        Assert.Equal(TimeSpan.FromSeconds(30), Waited);
        Assert.Equal(31, _host.Virsh.CallsTo("domstate"));
    }

    [Fact]
    public async Task A_guest_still_running_when_the_clock_reaches_shutdown_timeout_times_out_then_and_not_before()
    {
        _host.WithSetting("SHUTDOWN_TIMEOUT", "30").WithSetting("FORCE_DESTROY", "no");
        _host.Virsh.On("domstate", stdout: "running\n").On("shutdown");

        Assert.Equal(1, await _host.RunAsync("shutdown", "one-7"));
        Assert.StartsWith("Timed out shutting down one-7", _host.Sentence);
        Assert.Equal(TimeSpan.FromSeconds(30), Waited);
        Assert.Equal(31, _host.Virsh.CallsTo("domstate"));
    }

    [Fact]
    public async Task Cancel_destroys_a_domain_that_stays_up_60_times_a_second_apart_and_then_gives_up()
    {
        _host.Virsh.On("destroy").On("domstate", stdout: "running\n");

        Assert.Equal(1, await _host.RunAsync("cancel", "one-7"));
        Assert.Equal("Could not destroy domain one-7: it is still running after 60 attempts.", _host.Sentence);
        Assert.Equal(60, _host.Virsh.CallsTo("destroy"));
        Assert.Equal(TimeSpan.FromSeconds(59), Waited);
    }

    [Fact]
    public async Task Cancel_takes_a_domain_that_goes_at_its_last_destroy_as_cancelled()
    {
        _host.Virsh.On("destroy").On("domstate", stdout: "running\n").On("domstate", exit: 1, stderr: NotFound, call: 60);

        Assert.Equal(0, await _host.RunAsync("cancel", "one-7"));
        Assert.Equal(60, _host.Virsh.CallsTo("destroy"));
        Assert.Equal(TimeSpan.FromSeconds(59), Waited);
    }

    [Fact]
    public async Task An_interrupted_save_watches_a_paused_domain_for_10_s_and_then_leaves_it_to_libvirt()
    {
        var checkpoint = _host.Scratch("0/7/checkpoint");
        _host.Virsh.On("save", seconds: 3).On("domstate", stdout: "paused\n");
        using var signal = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        var code = await Dispatcher.RunAsync(Path.Combine(_host.EntryDirectory, "save"),
            ["one-7", checkpoint, "localhost", "7", "localhost"], _host.Host.Build(), signal.Token);

        Assert.Equal(1, code);
        // a look every 0.2 s: the first at once, the last when the clock reaches 10 s
        Assert.Equal(51, _host.Virsh.CallsTo("domstate"));
        Assert.Equal(TimeSpan.FromSeconds(10), Waited);
    }

    public void Dispose() => _host.Dispose();
}
