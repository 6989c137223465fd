using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs;

/// <summary>
/// kvmrc values upstream's scripts take never fail an action here: each is taken the way
/// upstream takes it, with one WARN line in the VM log saying how. Only a value that could
/// do harm is refused, by the actions that read it.
/// </summary>
public sealed class KvmrcValueSpecs
{
    [Fact]
    public async Task A_virsh_timeout_beyond_what_a_timer_can_wait_is_clamped_with_a_warning()
    {
        await using var domain = await TestDomain.StartDisklessAsync("huge-timeout");
        var driver = Driver.Staged.WithKvmrc("# a comment\nVIRSH_TIMEOUT=99999999\n");

        var result = await driver.RunAsync("reboot", domain.Name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        var warning = Assert.Single(ProtocolAssert.LogLines(result, "WARN"));
        Assert.Matches("^WARN: reboot: kvmrc: VIRSH_TIMEOUT=\"99999999\" \\(.*/kvmrc-[0-9a-f]+:2\\) is longer than a timer can wait; taken as 2147483 s \\(24 days\\)$", warning);
    }

    /// <summary>Upstream's force_shutdown compares with "yes": FORCE_DESTROY=true leaves a guest that ignores ACPI running.</summary>
    [Fact]
    public async Task Force_destroy_true_is_no_as_upstream_reads_it_and_shutdown_times_out_without_destroying()
    {
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(TestNames.Domain("force-true")).WithoutAcpi());

        var result = await Driver.Staged.WithKvmrc("SHUTDOWN_TIMEOUT=1\nFORCE_DESTROY=true\n")
            .RunAsync("shutdown", domain.Name, "localhost", "7", "localhost");

        Assert.StartsWith($"Timed out shutting down {domain.Name}", ProtocolAssert.Failed(result));
        Assert.Contains(ProtocolAssert.LogLines(result, "WARN"), l => l.StartsWith("WARN: shutdown: kvmrc: FORCE_DESTROY=\"true\" (", StringComparison.Ordinal)
            && l.EndsWith(":2) is not \"yes\"; taken as no, as upstream's scripts compare with \"yes\" exactly", StringComparison.Ordinal));
        Assert.Equal("running", await domain.StateAsync());
    }

    [Fact]
    public async Task A_negative_shutdown_timeout_fails_shutdown_and_no_other_action()
    {
        await using var domain = await TestDomain.StartDisklessAsync("negative");
        var driver = Driver.Staged.WithKvmrc("SHUTDOWN_TIMEOUT=-5\n");

        var shutdown = await driver.RunAsync("shutdown", domain.Name, "localhost", "7", "localhost");
        var reboot = await driver.RunAsync("reboot", domain.Name, "localhost", "7", "localhost");

        Assert.Matches("^SHUTDOWN_TIMEOUT=\"-5\" \\(.*:1\\) is not valid: expected a whole number of 0 or more: a negative time cannot be waited\\.$",
            ProtocolAssert.Failed(shutdown));
        ProtocolAssert.Succeeded(reboot);
        Assert.Equal("running", await domain.StateAsync());
    }
}
