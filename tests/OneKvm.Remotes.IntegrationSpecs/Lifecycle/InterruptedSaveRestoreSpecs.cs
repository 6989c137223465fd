using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// save and restore interrupted after libvirt did the work (a signal, or a kill -9), against the real
/// libvirtd and real domains. A killed virsh does not stop libvirt, so the effect may have happened:
/// the action must say so, and a run again must succeed without losing or overwriting a checkpoint.
/// The moment is chosen with a wrapper around the real virsh that records when the real one returned
/// and then holds its exit back: libvirt has finished, the action still waits.
/// </summary>
public sealed class InterruptedSaveRestoreSpecs
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_save_interrupted_by_sigterm_after_libvirt_saved_the_domain_succeeds()
    {
        await using var scratch = new Scratch("save-term");
        var xml = scratch.Diskless("term");
        await scratch.StartAsync(xml);

        var result = await InterruptOnceLibvirtDidAsync("save", "TERM", scratch, driver => StartSave(driver, scratch, xml.Name));

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.Contains("although the save was interrupted", StringComparison.Ordinal));
        Assert.Null(await TestVirsh.StateAsync(xml.Name));
        Assert.Equal(0, (await TestVirsh.RunAsync("save-image-dumpxml", "--file", scratch.Checkpoint)).ExitCode);
    }

    [Fact]
    public async Task A_save_run_again_after_one_killed_once_libvirt_had_saved_succeeds_and_leaves_the_checkpoint_as_it_is()
    {
        await using var scratch = new Scratch("save-again");
        var xml = scratch.Diskless("again");
        await scratch.StartAsync(xml);
        await InterruptOnceLibvirtDidAsync("save", "KILL", scratch, driver => StartSave(driver, scratch, xml.Name));
        var checkpoint = await File.ReadAllBytesAsync(scratch.Checkpoint);

        var again = await Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId),
            xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(again);
        Assert.Contains(ProtocolAssert.LogLines(again, "INFO"), l => l.Contains("is already saved in", StringComparison.Ordinal));
        Assert.Equal(checkpoint, await File.ReadAllBytesAsync(scratch.Checkpoint));
        Assert.Equal(["checkpoint"], Directory.GetFiles(scratch.VmDirectory).Select(Path.GetFileName));
        // and it is the domain's checkpoint: it restores
        ProtocolAssert.Succeeded(await Restore(Driver.Staged, scratch));
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
    }

    [Fact]
    public async Task A_save_of_a_missing_domain_over_a_checkpoint_of_another_domain_still_fails_and_loses_nothing()
    {
        await using var scratch = new Scratch("save-other");
        var other = scratch.Diskless("other");
        await scratch.StartAsync(other);
        ProtocolAssert.Succeeded(await Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId),
            other.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost"));
        var checkpoint = await File.ReadAllBytesAsync(scratch.Checkpoint);
        var missing = scratch.Domain("missing");

        var result = await Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId),
            missing, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

        Assert.StartsWith($"Could not save domain {missing} to {scratch.Checkpoint}: ", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Equal(checkpoint, await File.ReadAllBytesAsync(scratch.Checkpoint));
    }

    [Fact]
    public async Task A_restore_interrupted_by_sigterm_after_libvirt_restored_the_domain_succeeds_and_the_checkpoint_goes()
    {
        await using var scratch = new Scratch("restore-term");
        var xml = scratch.Diskless("rterm");
        await scratch.StartAsync(xml);
        ProtocolAssert.Succeeded(await Save(scratch, xml.Name));

        var result = await InterruptOnceLibvirtDidAsync("restore", "TERM", scratch, driver => StartRestore(driver, scratch));

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.Contains("although the restore was interrupted", StringComparison.Ordinal));
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.False(File.Exists(scratch.Checkpoint));
    }

    [Fact]
    public async Task A_restore_run_again_after_one_killed_once_libvirt_had_restored_succeeds_instead_of_domain_is_already_active()
    {
        await using var scratch = new Scratch("restore-again");
        var xml = scratch.Diskless("ragain");
        await scratch.StartAsync(xml);
        var uuid = (await TestVirsh.CheckedAsync("domuuid", xml.Name)).Trim();
        ProtocolAssert.Succeeded(await Save(scratch, xml.Name));
        await InterruptOnceLibvirtDidAsync("restore", "KILL", scratch, driver => StartRestore(driver, scratch));
        // the domain runs from the checkpoint, which the killed action never got to remove
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.True(File.Exists(scratch.Checkpoint));

        var again = await Restore(Driver.Staged, scratch);

        ProtocolAssert.Succeeded(again);
        Assert.Contains(ProtocolAssert.LogLines(again, "INFO"), l => l.Contains("already runs from the checkpoint", StringComparison.Ordinal));
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.Equal(uuid, (await TestVirsh.CheckedAsync("domuuid", xml.Name)).Trim());
        Assert.False(File.Exists(scratch.Checkpoint));
    }

    [Fact]
    public async Task A_restore_run_again_with_the_deploy_id_also_finds_the_domain_running_from_its_checkpoint()
    {
        await using var scratch = new Scratch("restore-again-id");
        var xml = scratch.Diskless("ragainid");
        await scratch.StartAsync(xml);
        var uuid = (await TestVirsh.CheckedAsync("domuuid", xml.Name)).Trim();
        ProtocolAssert.Succeeded(await Save(scratch, xml.Name));
        await InterruptOnceLibvirtDidAsync("restore", "KILL", scratch, driver => StartRestore(driver, scratch, uuid));

        var again = await Restore(Driver.Staged, scratch, uuid);

        ProtocolAssert.Succeeded(again);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.False(File.Exists(scratch.Checkpoint));
    }

    /// <summary>
    /// Starts the action with a virsh that holds its exit back, waits until the real virsh returned
    /// (libvirt did the work) and then sends <paramref name="signal"/>; answers how the action ended.
    /// </summary>
    private static async Task<ProcessResult> InterruptOnceLibvirtDidAsync(string verb, string signal, Scratch scratch,
        Func<Driver, RunningAction> start)
    {
        using var fakes = new FakePrograms().WithVirshSlowToReturn(verb, seconds: 60);
        using var action = start(Driver.Staged.WithKvmrc("SYNC_TIME=no\n").WithPathFirst(fakes.Directory));
        await action.WriteStdinAndCloseAsync(LifecycleXml.ActionData(scratch.VmId));
        Assert.True(await fakes.WaitForCallAsync($"virsh {verb} returned 0", Generous), string.Join('\n', fakes.Calls));
        await action.SignalAsync(signal);
        return await action.WaitForExitAsync(Generous);
    }

    private static RunningAction StartSave(Driver driver, Scratch scratch, string domain) =>
        RunningAction.Start(driver, "save", domain, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

    private static RunningAction StartRestore(Driver driver, Scratch scratch, string deployId = "") =>
        RunningAction.Start(driver, "restore", scratch.Checkpoint, "localhost", deployId, scratch.Vm, "localhost");

    private static Task<ProcessResult> Save(Scratch scratch, string domain) =>
        Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId), domain, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

    private static Task<ProcessResult> Restore(Driver driver, Scratch scratch, string deployId = "") =>
        driver.WithKvmrc("SYNC_TIME=no\n").RunWithStdinAsync("restore", LifecycleXml.ActionData(scratch.VmId),
            scratch.Checkpoint, "localhost", deployId, scratch.Vm, "localhost");
}
