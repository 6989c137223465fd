using Microsoft.Extensions.Logging;
using OneKvm.Remotes.Logging;
using Xunit;

namespace OneKvm.Remotes.Specs.Logging;

/// <summary>
/// Building the console logging stack costs about 1 ms (its provider starts a thread),
/// so an action that succeeds without a word must not build it, even when a component
/// (the detach wait, the CPU meter) holds the logger from the start.
/// </summary>
public sealed class DriverLogSpecs
{
    [Fact]
    public void Handing_the_logger_around_and_asking_what_is_enabled_builds_nothing()
    {
        using var log = new DriverLog("detach_nic");

        var held = log.Logger;

        Assert.True(held.IsEnabled(LogLevel.Information));
        Assert.False(held.IsEnabled(LogLevel.Trace));
        Assert.False(log.IsBuilt);
    }

    [Fact]
    public void A_line_below_the_minimum_level_builds_nothing()
    {
        using var log = new DriverLog("detach_nic", LogLevel.Information);

        log.Logger.LogDebug("not for the VM log");

        Assert.False(log.IsBuilt);
    }

    [Fact]
    public void The_first_line_written_builds_the_logging_stack()
    {
        using var log = new DriverLog("detach_nic");

        log.Logger.DetachConfirmed("NIC 02:00:0a:00:00:05", 1);

        Assert.True(log.IsBuilt);
    }
}
