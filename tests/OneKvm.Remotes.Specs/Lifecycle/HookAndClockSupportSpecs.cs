using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Driver;
using OneKvm.Remotes.Specs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.Specs.Lifecycle;

/// <summary>The small foundation additions the lifecycle needs, and the background clock sync.</summary>
public sealed class HookAndClockSupportSpecs : IDisposable
{
    private readonly LifecycleHost _host = new();

    [Fact]
    public void The_arguments_as_received_are_kept_for_hooks_including_empty_and_extra_ones()
    {
        var entry = ActionTable.Find("restore")!;
        string[] args = ["/ds/0/7/checkpoint", "node1", "", "7", "node1", "extra"];

        var parsed = ActionCommandLine.Parse(entry, args);

        Assert.Equal(args, parsed.Given);
        Assert.Null(parsed.Optional(ActionParameter.DeployId));
    }

    [Theory]
    [InlineData("/var/tmp/one/vmm/kvm/save", "/nonexistent/vmm/kvm/onekvm", "/var/tmp/one/vmm/kvm")]
    [InlineData("/opt/odd/place/save", "/nonexistent/vmm/kvm/onekvm", "/opt/odd/place")]
    [InlineData("save", "/usr/lib/one/remotes/vmm/kvm/onekvm", "/usr/lib/one/remotes/vmm/kvm")]
    public void Hooks_are_looked_for_beside_the_entry_that_was_started(string invokedAs, string processPath, string directory)
    {
        var entry = ActionTable.Find("save")!;

        var location = RemotesLocation.Resolve(invokedAs, entry, processPath, _ => null);

        Assert.Equal(directory, location.EntryDirectory);
    }

    [Fact]
    public async Task The_background_clock_sync_tries_4_times_5_s_apart()
    {
        _host.Virsh.On("domstate", stdout: "running\n").On("domtime", exit: 1, stderr: "error: Guest agent is not responding: QEMU guest agent is not connected\n");

        var code = await _host.Host.RunAsync(Path.Combine(_host.EntryDirectory, "onekvm"), "sync-time", "one-7");

        Assert.Equal(1, code);
        Assert.Equal(4, _host.Virsh.CallsTo("domtime"));
        Assert.Equal(["domtime", "--domain", "one-7", "--sync"], _host.Virsh.Calls.First(c => c[0] == "domtime"));
        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)], _host.Host.Sleeps);
    }

    [Fact]
    public async Task The_background_clock_sync_asks_4_times_in_all_even_while_libvirt_is_busy()
    {
        _host.Virsh.On("domstate", stdout: "running\n").On("domtime", exit: 1, stderr: "error: Timed out during operation: cannot acquire state change lock (held by monitor=x)\n");

        Assert.Equal(1, await _host.Host.RunAsync(Path.Combine(_host.EntryDirectory, "onekvm"), "sync-time", "one-7"));

        Assert.Equal(4, _host.Virsh.CallsTo("domtime"));
        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)], _host.Host.Sleeps);
    }

    [Fact]
    public async Task The_background_clock_sync_stops_when_it_worked_or_the_domain_is_gone()
    {
        _host.Virsh.On("domstate", stdout: "running\n", call: 1).On("domstate", exit: 1, stderr: "error: failed to get domain 'one-7'\n")
            .On("domtime", exit: 1, stderr: "error: Guest agent is not responding\n");

        Assert.Equal(1, await _host.Host.RunAsync(Path.Combine(_host.EntryDirectory, "onekvm"), "sync-time", "one-7"));
        Assert.Equal(1, _host.Virsh.CallsTo("domtime"));

        using var other = new LifecycleHost();
        other.Virsh.On("domstate", stdout: "running\n").On("domtime");
        Assert.Equal(0, await other.Host.RunAsync(Path.Combine(other.EntryDirectory, "onekvm"), "sync-time", "one-7"));
        Assert.Equal(1, other.Virsh.CallsTo("domtime"));
    }

    public void Dispose() => _host.Dispose();
}
