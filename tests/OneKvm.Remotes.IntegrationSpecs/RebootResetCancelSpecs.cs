using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.IntegrationSpecs.Lifecycle;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs;

/// <summary>
/// reboot, reset and cancel through the staged entries, against real diskless domains
/// (a BIOS that ignores ACPI). That a reboot and a reset really restart a guest is shown
/// with a booted Linux guest in GuestLifecycleSpecs.
/// </summary>
public sealed class RebootResetCancelSpecs
{
    private const string ActionData = "<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST></VMM_DRIVER_ACTION_DATA>";

    [Fact]
    public async Task Rebooting_a_domain_that_ignores_acpi_answers_nothing_and_leaves_it_running()
    {
        await using var domain = await TestDomain.StartDisklessAsync("reboot");

        var result = await Driver.Staged.RunWithStdinAsync("reboot", ActionData, domain.Name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("", result.Stdout);
        Assert.Equal("running", await domain.StateAsync());
    }

    [Fact]
    public async Task Resetting_a_running_domain_answers_nothing_and_leaves_it_running()
    {
        await using var domain = await TestDomain.StartDisklessAsync("reset");

        var result = await Driver.Staged.RunWithStdinAsync("reset", ActionData, domain.Name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("", result.Stdout);
        Assert.Equal("running", await domain.StateAsync());
    }

    [Fact]
    public async Task Cancelling_a_running_domain_destroys_it_before_answering()
    {
        await using var domain = await TestDomain.StartDisklessAsync("cancel");

        var result = await Driver.Staged.RunWithStdinAsync("cancel", ActionData, domain.Name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("", result.Stdout);
        Assert.Null(await domain.StateAsync());
    }

    /// <summary>Freeing a large VM's memory (hugepages) or resetting its passthrough devices takes as long as it takes; upstream waits.</summary>
    [Fact]
    public async Task A_destroy_that_takes_longer_than_virsh_timeout_is_waited_for()
    {
        await using var domain = await TestDomain.StartDisklessAsync("cancel-slow");
        using var fakes = new FakePrograms().WithSlowVirsh("destroy", seconds: 2);

        var result = await Driver.Staged.WithKvmrc("VIRSH_TIMEOUT=1\n").WithPathFirst(fakes.Directory)
            .RunWithStdinAsync("cancel", ActionData, domain.Name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Null(await domain.StateAsync());
        Assert.Contains(fakes.Calls, c => c.Contains(" destroy ", StringComparison.Ordinal) && c.EndsWith(" done", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancelling_a_persistent_domain_leaves_it_defined_and_shut_off()
    {
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(TestNames.Domain("cancel-persistent")), persistent: true);

        var result = await Driver.Staged.RunAsync("cancel", domain.Name);

        ProtocolAssert.Succeeded(result);
        Assert.Equal("shut off", await domain.StateAsync());
    }

    [Fact]
    public async Task Cancelling_a_domain_that_is_already_gone_succeeds_without_a_backtrace()
    {
        var name = TestNames.Domain("gone");

        var result = await Driver.Staged.RunAsync("cancel", name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.Contains(name, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("reboot", "Could not reboot domain")]
    [InlineData("reset", "Could not reset domain")]
    public async Task A_missing_domain_fails_with_one_sentence_and_the_virsh_error_in_the_log(string action, string sentence)
    {
        var name = TestNames.Domain("missing");

        var result = await Driver.Staged.RunAsync(action, name, "localhost", "7", "localhost");

        var error = ProtocolAssert.Failed(result);
        Assert.StartsWith($"{sentence} {name}: ", error);
        Assert.Contains(ProtocolAssert.LogLines(result, "ERROR"),
            l => l.StartsWith($"ERROR: {action}: Command \"virsh --connect qemu:///system {action} --domain {name}\" failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_action_called_without_its_deploy_id_is_a_usage_error()
    {
        var result = await Driver.Staged.RunAsync("reboot");

        var error = ProtocolAssert.Failed(result);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("<deploy_id>", error);
    }
}
