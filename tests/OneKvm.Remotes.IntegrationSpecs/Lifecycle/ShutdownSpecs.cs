using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// shutdown against real diskless domains, which sit in the BIOS and ignore ACPI:
/// the timeout, FORCE_DESTROY and CANCEL_NO_ACPI paths. Guests that do answer are in GuestLifecycleSpecs.
/// </summary>
public sealed class ShutdownSpecs
{
    [Fact]
    public async Task A_guest_that_ignores_acpi_times_out_with_a_clear_error_and_keeps_running()
    {
        await using var domain = await TestDomain.StartDisklessAsync("shutdown-timeout");

        var result = await Shutdown(domain.Name, "SHUTDOWN_TIMEOUT=2\nFORCE_DESTROY=no\n");

        var error = ProtocolAssert.Failed(result);
        Assert.Equal($"Timed out shutting down {domain.Name}: the guest did not power off within 2 s (SHUTDOWN_TIMEOUT); it is still running (FORCE_DESTROY=yes would destroy it).", error);
        Assert.Equal("running", await domain.StateAsync());
    }

    [Fact]
    public async Task With_force_destroy_a_guest_that_ignores_acpi_is_destroyed_after_the_timeout()
    {
        await using var domain = await TestDomain.StartDisklessAsync("shutdown-force");

        var result = await Shutdown(domain.Name, "SHUTDOWN_TIMEOUT=2\nFORCE_DESTROY=yes\n");

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "ERROR"), l => l.Contains($"Timeout shutting down {domain.Name} after 2 s; destroying it", StringComparison.Ordinal));
        Assert.Null(await domain.StateAsync());
        // no fixed sleep at the end: 2 s of waiting, a destroy, and the process costs
        Assert.True(result.Duration < TimeSpan.FromSeconds(8), "took " + result.Duration);
    }

    [Fact]
    public async Task The_acpi_request_is_sent_again_every_10_s_while_waiting()
    {
        await using var domain = await TestDomain.StartDisklessAsync("shutdown-resend");

        var result = await Shutdown(domain.Name, "SHUTDOWN_TIMEOUT=12\nFORCE_DESTROY=yes\n");

        ProtocolAssert.Succeeded(result);
        Assert.Single(ProtocolAssert.LogLines(result, "INFO"), l => l.Contains($"Sent the ACPI shutdown request to {domain.Name} again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_crashed_guest_is_destroyed_at_once_with_force_destroy()
    {
        await using var set = new Monitoring.MonitoredDomains();
        var domain = await set.StartCrashableAsync();
        await Monitoring.MonitoredDomains.PanicAsync(domain);

        var result = await Shutdown(domain.Name, "SHUTDOWN_TIMEOUT=60\nFORCE_DESTROY=yes\n");

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "WARN"), l => l.Contains("has crashed and cannot answer ACPI", StringComparison.Ordinal));
        Assert.Null(await domain.StateAsync());
        Assert.True(result.Duration < TimeSpan.FromSeconds(20), "waited for a crashed guest: " + result.Duration);
    }

    [Fact]
    public async Task A_crashed_guest_without_force_destroy_fails_at_once_and_is_left_for_inspection()
    {
        await using var set = new Monitoring.MonitoredDomains();
        var domain = await set.StartCrashableAsync();
        await Monitoring.MonitoredDomains.PanicAsync(domain);

        var result = await Shutdown(domain.Name, "SHUTDOWN_TIMEOUT=60\nFORCE_DESTROY=no\n");

        var error = ProtocolAssert.Failed(result);
        Assert.Equal($"Domain {domain.Name} has crashed and cannot shut down; cancel it (poweroff --hard), or set FORCE_DESTROY=yes.", error);
        Assert.Equal("crashed", await domain.StateAsync());
        Assert.True(result.Duration < TimeSpan.FromSeconds(20), "waited for a crashed guest: " + result.Duration);
    }

    [Fact]
    public async Task Cancel_no_acpi_destroys_a_domain_without_acpi_at_once()
    {
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(TestNames.Domain("noacpi")).WithoutAcpi());

        var result = await Shutdown(domain.Name, "SHUTDOWN_TIMEOUT=60\nCANCEL_NO_ACPI=yes\n");

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.Contains("has no ACPI; destroying it", StringComparison.Ordinal));
        Assert.Null(await domain.StateAsync());
        Assert.True(result.Duration < TimeSpan.FromSeconds(20), "waited for ACPI: " + result.Duration);
    }

    /// <summary>CANCEL_NO_ACPI reads only the domain XML first: its id says whether the domain is up.</summary>
    [Fact]
    public async Task Cancel_no_acpi_destroys_a_paused_domain_without_acpi_and_leaves_a_shut_off_one_alone()
    {
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(TestNames.Domain("noacpi-p")).WithoutAcpi(), persistent: true);
        await TestVirsh.CheckedAsync("suspend", domain.Name);

        var paused = await Shutdown(domain.Name, "CANCEL_NO_ACPI=yes\n");
        var shutOff = await Shutdown(domain.Name, "CANCEL_NO_ACPI=yes\n");

        ProtocolAssert.Succeeded(paused);
        Assert.Contains(ProtocolAssert.LogLines(paused, "INFO"), l => l.Contains("has no ACPI; destroying it", StringComparison.Ordinal));
        ProtocolAssert.Succeeded(shutOff);
        Assert.Contains(ProtocolAssert.LogLines(shutOff, "INFO"), l => l.Contains("nothing to shut down", StringComparison.Ordinal));
        Assert.Equal("shut off", await domain.StateAsync());
    }

    [Fact]
    public async Task Cancel_no_acpi_still_asks_a_domain_with_acpi_to_shut_down()
    {
        await using var domain = await TestDomain.StartDisklessAsync("acpi");

        var result = await Shutdown(domain.Name, "SHUTDOWN_TIMEOUT=1\nCANCEL_NO_ACPI=yes\nFORCE_DESTROY=no\n");

        Assert.StartsWith($"Timed out shutting down {domain.Name}", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Equal("running", await domain.StateAsync());
    }

    [Fact]
    public async Task Shutting_down_a_domain_that_is_already_gone_succeeds_without_a_backtrace()
    {
        var name = TestNames.Domain("gone");

        var result = await Shutdown(name, "");

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.Contains($"Domain {name} is not running; nothing to shut down", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_hanging_virsh_is_stopped_by_virsh_timeout()
    {
        using var fakes = new FakePrograms().WithHangingVirsh();
        var name = TestNames.Domain("hang");

        var result = await Driver.Staged.WithKvmrc("VIRSH_TIMEOUT=2\n").WithPathFirst(fakes.Directory)
            .RunWithStdinAsync("shutdown", ActionData, name, "localhost", "7", "localhost");

        Assert.Equal($"Could not read the state of domain {name}: virsh domstate did not finish within 2 s (VIRSH_TIMEOUT) and was killed.",
            ProtocolAssert.Failed(result));
        Assert.True(result.Duration < TimeSpan.FromSeconds(30), "not stopped by VIRSH_TIMEOUT: " + result);
    }

    [Fact]
    public async Task Cleanup_memory_on_stop_compacts_memory_after_the_domain_is_gone()
    {
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(TestNames.Domain("cleanup")).WithoutAcpi());
        using var fakes = new FakePrograms().WithRecordingSysctl();

        var result = await Driver.Staged.WithKvmrc("CANCEL_NO_ACPI=yes\nCLEANUP_MEMORY_ON_STOP=yes\n").WithPathFirst(fakes.Directory)
            .RunWithStdinAsync("shutdown", ActionData, domain.Name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        // in the background, as upstream: the action does not wait for it
        Assert.True(await fakes.WaitForCallAsync("sysctl vm.drop_caches=3 vm.compact_memory=1", TimeSpan.FromSeconds(10)),
            "no memory cleanup: " + string.Join('\n', fakes.Calls));
    }

    private const string ActionData = "<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST></VMM_DRIVER_ACTION_DATA>";

    private static Task<ProcessResult> Shutdown(string domain, string kvmrc) =>
        Driver.Staged.WithKvmrc(kvmrc).RunWithStdinAsync("shutdown", ActionData, domain, "localhost", "7", "localhost");
}
