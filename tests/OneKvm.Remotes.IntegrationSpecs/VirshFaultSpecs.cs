using System.Diagnostics;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs;

/// <summary>
/// Faults of virsh itself, through the staged binary. A fake virsh plays the
/// faults that a real one cannot be made to produce on demand.
/// </summary>
public sealed class VirshFaultSpecs
{
    [Fact]
    public async Task A_hung_virsh_is_killed_after_virsh_timeout_and_the_action_fails_in_one_sentence()
    {
        using var fake = new FakeVirshOnPath("hang");
        var driver = Driver.Staged.WithPathFirst(fake.Directory).WithKvmrc("VIRSH_TIMEOUT=2\n");

        var result = await driver.RunAsync("reboot", "one-1", "localhost", "1", "localhost");

        var error = ProtocolAssert.Failed(result);
        Assert.Equal("Could not reboot domain one-1: virsh reboot did not finish within 2 s (VIRSH_TIMEOUT) and was killed.", error);
        Assert.InRange(result.Duration, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15));
        var child = int.Parse(await File.ReadAllTextAsync(fake.ChildPidFile), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(IsAlive(child), "the hung virsh's child outlived the action");
    }

    [Fact]
    public async Task A_megabyte_of_virsh_stderr_neither_hangs_the_action_nor_floods_the_vm_log_with_plain_lines()
    {
        using var fake = new FakeVirshOnPath("stderr-flood");

        var result = await Driver.Staged.WithPathFirst(fake.Directory).RunAsync("reset", "one-1");

        var error = ProtocolAssert.Failed(result);
        Assert.Equal("Could not reset domain one-1: flooded.", error);
    }

    [Fact]
    public async Task Terminating_the_action_stops_the_virsh_it_started()
    {
        using var fake = new FakeVirshOnPath("hang");
        var psi = new ProcessStartInfo(TestPaths.Action("reboot")) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("one-1");
        psi.Environment["PATH"] = fake.Directory + ":/usr/bin:/bin";
        using var action = Process.Start(psi)!;
        for (var i = 0; i < 100 && !File.Exists(fake.ChildPidFile); i++)
        {
            await Task.Delay(100);
        }
        Assert.True(File.Exists(fake.ChildPidFile), "the fake virsh never started");
        var child = int.Parse(await File.ReadAllTextAsync(fake.ChildPidFile), System.Globalization.CultureInfo.InvariantCulture);

        Process.Start("kill", ["-TERM", action.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await action.WaitForExitAsync(cts.Token);
        var stderr = await action.StandardError.ReadToEndAsync();

        Assert.NotEqual(0, action.ExitCode);
        Assert.EndsWith("reboot was interrupted by a signal before it finished.", stderr.TrimEnd());
        await Task.Delay(500);
        Assert.False(IsAlive(child), "virsh's child outlived the terminated action");
    }

    private static bool IsAlive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] != "Z";
}
