using Microsoft.Extensions.Logging;
using OneKvm.Remotes.Host;
using OneKvm.Remotes.Logging;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Live;
using OneKvm.Remotes.Virsh;
using Xunit;

namespace OneKvm.Remotes.Specs.Live;

/// <summary>
/// The detach loop against scripted answers: what libvirt and the guest do is played
/// by two lists (what each detach request answers, whether each domain read still shows
/// the device), so that every path is exercised without waiting for a real guest.
/// </summary>
public sealed class DeviceDetachSpecs
{
    private readonly Queue<ProgramResult> _answers = new();
    private readonly Queue<bool> _presence = new();
    private readonly Infrastructure.SpecTime _time = new();
    private List<TimeSpan> _sleeps => _time.Sleeps;
    private int _requests;
    private readonly StringWriter _log = new();

    private static ProgramResult Answer(int exitCode, string stderr = "") =>
        new(VirshCommand.Create("detach-device", "one-42", "/dev/stdin"), exitCode, "", stderr, 1, TimeSpan.Zero);

    private DeviceDetach Detach(int attempts = 3) => new()
    {
        Domain = "one-42",
        Device = "NIC 02:00:0a:00:00:05",
        Detach = _ =>
        {
            _requests++;
            return Task.FromResult(_answers.Count > 1 ? _answers.Dequeue() : _answers.Peek());
        },
        IsAttached = _ => Task.FromResult(_presence.Count > 1 ? _presence.Dequeue() : _presence.Peek()),
        Attempts = attempts,
        Time = _time,
        Logger = new OneLogger("detach_nic", LogLevel.Debug, new OneLogFormatter(), _log),
    };

    private void Script(IEnumerable<ProgramResult> answers, params bool[] presence)
    {
        foreach (var a in answers)
        {
            _answers.Enqueue(a);
        }
        foreach (var p in presence)
        {
            _presence.Enqueue(p);
        }
    }

    [Fact]
    public async Task A_device_the_guest_released_at_once_takes_one_request_and_one_look()
    {
        Script([Answer(0)], false);

        await Detach().RunAsync(CancellationToken.None);

        Assert.Equal(1, _requests);
        Assert.Empty(_sleeps);
        // nothing worth a line in the VM log
        Assert.Equal("", _log.ToString());
    }

    [Fact]
    public async Task A_device_libvirt_called_detached_is_waited_for_until_it_leaves_the_domain()
    {
        Script([Answer(0)], true, true, false);

        await Detach().RunAsync(CancellationToken.None);

        Assert.Equal(1, _requests);
        Assert.Equal(2, _sleeps.Count);
        Assert.Equal("INFO: detach_nic: NIC 02:00:0a:00:00:05 has left the domain (attempt 1)\n", _log.ToString());
    }

    [Fact]
    public async Task Guest_is_busy_followed_by_the_device_being_gone_is_success()
    {
        Script([Answer(0), Answer(1, "error: internal error: unable to execute QEMU command 'device_del': Hot-unplug failed: guest is busy (power indicator blinking)")],
            true, true, true, true, false);

        await Detach().RunAsync(CancellationToken.None);

        Assert.Equal(2, _requests);
    }

    [Fact]
    public async Task A_device_that_never_leaves_fails_after_virsh_retries_attempts_with_a_bounded_wait()
    {
        Script([Answer(0), Answer(1, "error: Hot-unplug failed: guest is busy (power indicator blinking)")], true);
        var detach = Detach(attempts: 3);

        var e = await Assert.ThrowsAsync<OneKvmException>(() => detach.RunAsync(CancellationToken.None));

        Assert.Equal(3, _requests);
        Assert.Equal(3 * detach.PollDelays.Count, _sleeps.Count);
        Assert.Equal(TimeSpan.FromSeconds(9), _sleeps.Aggregate(TimeSpan.Zero, (a, b) => a + b));
        Assert.Equal("Could not detach NIC 02:00:0a:00:00:05 from one-42: the guest has not released it after 3 attempts (VIRSH_RETRIES); "
            + "the last refusal was: Hot-unplug failed: guest is busy (power indicator blinking).", e.Message);
    }

    [Fact]
    public async Task A_refusal_for_good_fails_at_once_with_libvirts_reason()
    {
        Script([Answer(1, "error: Failed to detach disk\nerror: Operation not supported: This type of disk cannot be hot unplugged")], true);

        var e = await Assert.ThrowsAsync<OneKvmException>(() => Detach().RunAsync(CancellationToken.None));

        Assert.Equal(1, _requests);
        Assert.Empty(_sleeps);
        Assert.Equal("Could not detach NIC 02:00:0a:00:00:05 from one-42: Operation not supported: This type of disk cannot be hot unplugged.", e.Message);
    }

    [Fact]
    public async Task A_refusal_because_the_device_is_not_there_is_success()
    {
        Script([Answer(1, "error: device not found: no device found matching MAC address '02:00:0a:00:00:05'")], false);

        await Detach().RunAsync(CancellationToken.None);

        Assert.Equal(1, _requests);
    }

    [Fact]
    public async Task A_missing_domain_fails_without_waiting()
    {
        Script([Answer(1, "error: failed to get domain 'one-42'")], true);

        var e = await Assert.ThrowsAsync<OneKvmException>(() => Detach().RunAsync(CancellationToken.None));

        Assert.StartsWith("Could not detach NIC 02:00:0a:00:00:05 from one-42: failed to get domain", e.Message);
        Assert.Empty(_sleeps);
    }

    [Fact]
    public async Task A_detach_request_killed_at_virsh_timeout_is_judged_by_the_domain_xml()
    {
        var killed = Answer(-1);
        var detach = Detach();
        var timingOut = new DeviceDetach
        {
            Domain = detach.Domain,
            Device = detach.Device,
            Detach = _ => throw new VirshTimeoutException(killed, TimeSpan.FromSeconds(60)),
            IsAttached = detach.IsAttached,
            Attempts = 2,
            Time = detach.Time,
            Logger = detach.Logger,
        };
        Script([], true, false);

        await timingOut.RunAsync(CancellationToken.None);

        Assert.Single(_sleeps);
    }
}
