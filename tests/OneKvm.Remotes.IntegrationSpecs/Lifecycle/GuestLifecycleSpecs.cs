using System.Text.RegularExpressions;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// What only a real guest can show: it powers off on the ACPI request (its console
/// says ONEKVM-GUEST-POWEROFF) and comes back after a reboot or a reset (a second READY
/// with another boot id). Each test boots its own tiny guest.
/// </summary>
public sealed partial class GuestLifecycleSpecs(ITestOutputHelper output)
{
    private const string ActionData = "<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST></VMM_DRIVER_ACTION_DATA>";

    [Fact]
    public async Task Shutting_down_a_running_guest_powers_it_off_through_acpi_and_answers_once_it_is_gone()
    {
        await using var guest = await BootAsync();

        var result = await Driver.Staged.WithKvmrc("SHUTDOWN_TIMEOUT=120\nFORCE_DESTROY=no\n")
            .RunWithStdinAsync("shutdown", ActionData, guest.Name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        output.WriteLine($"shutdown answered after {result.Duration.TotalSeconds:0.0} s");
        Assert.Contains("ONEKVM-GUEST-POWEROFF", guest.Console, StringComparison.Ordinal);
        Assert.Null(await TestVirsh.StateAsync(guest.Name));
        Assert.Empty(ProtocolAssert.LogLines(result, "ERROR"));
    }

    [Fact]
    public async Task Shutting_down_a_paused_guest_resumes_it_so_that_it_powers_off_cleanly()
    {
        await using var guest = await BootAsync();
        await TestVirsh.CheckedAsync("suspend", guest.Name);

        var result = await Driver.Staged.WithKvmrc("SHUTDOWN_TIMEOUT=120\nFORCE_DESTROY=no\n")
            .RunWithStdinAsync("shutdown", ActionData, guest.Name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.Contains("is paused; waking it", StringComparison.Ordinal));
        Assert.Contains("ONEKVM-GUEST-POWEROFF", guest.Console, StringComparison.Ordinal);
        Assert.Null(await TestVirsh.StateAsync(guest.Name));
    }

    [Fact]
    public async Task Rebooting_a_guest_really_reboots_it()
    {
        await using var guest = await BootAsync();
        var firstBoot = BootIds(guest.Console).Single();

        var result = await Driver.Staged.RunWithStdinAsync("reboot", ActionData, guest.Name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.True(await guest.WaitForConsoleAsync("ONEKVM-GUEST-READY", TinyGuest.BootTimeout, count: 2),
            "no second boot on the console:\n" + guest.Console);
        Assert.NotEqual(firstBoot, BootIds(guest.Console)[1]);
        Assert.Equal("running", await TestVirsh.StateAsync(guest.Name));
    }

    [Fact]
    public async Task Resetting_a_guest_power_cycles_it_without_asking_it()
    {
        await using var guest = await BootAsync();
        var firstBoot = BootIds(guest.Console).Single();

        var result = await Driver.Staged.RunWithStdinAsync("reset", ActionData, guest.Name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("", result.Stdout);
        Assert.True(await guest.WaitForConsoleAsync("ONEKVM-GUEST-READY", TinyGuest.BootTimeout, count: 2),
            "no second boot on the console:\n" + guest.Console);
        Assert.NotEqual(firstBoot, BootIds(guest.Console)[1]);
        // a reset is a power-cycle: the guest never saw a power button (reboot asks it through ACPI)
        Assert.DoesNotContain("ONEKVM-GUEST-POWEROFF", guest.Console, StringComparison.Ordinal);
        Assert.Equal("running", await TestVirsh.StateAsync(guest.Name));
    }

    private static async Task<BootedGuest> BootAsync()
    {
        var guest = new BootedGuest();
        try
        {
            await guest.InitializeAsync();
        }
        catch
        {
            await guest.DisposeAsync();
            throw;
        }
        return guest;
    }

    private static List<string> BootIds(string console) =>
        [.. ReadyLine().Matches(console).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"ONEKVM-GUEST-READY id=(\S+)")]
    private static partial Regex ReadyLine();

    /// <summary>The tiny guest, owned by one test rather than a class.</summary>
    private sealed class BootedGuest : TinyGuest, IAsyncDisposable
    {
        ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());
    }
}
