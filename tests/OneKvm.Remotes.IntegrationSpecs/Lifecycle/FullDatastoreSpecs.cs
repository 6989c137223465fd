using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// A system datastore that fills up while save, restore and snapshot_create write into it: the VM
/// directory is a small tmpfs (a real full file system, ENOSPC from the kernel), the domains are real.
/// A diskless 64 MiB domain saves into about 780 KiB and puts about 1.1 MiB of state into a qcow2
/// snapshot (measured here), so 512 KiB fills up midway.
/// </summary>
public sealed class FullDatastoreSpecs
{

    [Fact]
    public async Task A_save_that_fills_the_system_datastore_fails_in_one_sentence_keeps_the_older_checkpoint_and_the_domain_running()
    {
        await using var scratch = new Scratch("full-save");
        await scratch.MountTmpfsAsync(scratch.VmDirectory, "512k");
        var xml = scratch.Diskless("full-save");
        await scratch.StartAsync(xml);
        await File.WriteAllTextAsync(scratch.Checkpoint, "an older checkpoint");

        var result = await Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId),
            xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

        var failure = ProtocolAssert.Failed(result);
        Assert.StartsWith($"Could not save domain {xml.Name} to {scratch.Checkpoint}: ", failure, StringComparison.Ordinal);
        Assert.Contains("No space left on device", failure, StringComparison.Ordinal);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        // the half-written checkpoint is gone and the older one is back under its name
        Assert.Equal("an older checkpoint", await File.ReadAllTextAsync(scratch.Checkpoint));
        Assert.Equal(["checkpoint"], Directory.GetFiles(scratch.VmDirectory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_restore_from_a_full_system_datastore_needs_no_space_there_and_brings_the_domain_back()
    {
        await using var scratch = new Scratch("full-restore");
        await scratch.MountTmpfsAsync(scratch.VmDirectory, "2m");
        var xml = scratch.Diskless("full-restore");
        await scratch.StartAsync(xml);
        ProtocolAssert.Succeeded(await Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId),
            xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost"));
        await FillAsync(scratch.VmDirectory);

        var result = await Driver.Staged.RunWithStdinAsync("restore", LifecycleXml.ActionData(scratch.VmId),
            scratch.Checkpoint, "localhost", xml.Name, scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.False(File.Exists(scratch.Checkpoint));
    }

    [Fact]
    public async Task A_snapshot_that_fills_the_system_datastore_fails_in_one_sentence_leaves_no_snapshot_and_the_domain_running()
    {
        await using var scratch = new Scratch("full-snapshot");
        await scratch.MountTmpfsAsync(scratch.VmDirectory, "512k");
        var xml = await scratch.WithQcow2DiskAsync("full-snap");
        await scratch.StartAsync(xml);

        var result = await Driver.Staged.RunWithStdinAsync("snapshot_create", LifecycleXml.HostOnlyData, xml.Name, "0", scratch.Vm, "localhost");

        var failure = ProtocolAssert.Failed(result);
        Assert.StartsWith($"Could not create snapshot snap-0 of domain {xml.Name}: ", failure, StringComparison.Ordinal);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.Equal("", (await TestVirsh.CheckedAsync("snapshot-list", "--domain", xml.Name, "--name")).Trim());
        Assert.False(File.Exists(Path.Combine(scratch.VmDirectory, "snap-0.xml")));
        var check = await ProcessRun.RunAsync("qemu-img", ["check", "-U", Path.Combine(scratch.VmDirectory, "disk.0")]);
        Assert.True(check.ExitCode == 0, "the disk is damaged: " + check);

        // space again (the operator grew the datastore): the same snapshot succeeds
        Assert.Equal(0, (await ProcessRun.RunAsync("mount", ["-o", "remount,size=4m", scratch.VmDirectory])).ExitCode);
        var again = await Driver.Staged.RunWithStdinAsync("snapshot_create", LifecycleXml.HostOnlyData, xml.Name, "0", scratch.Vm, "localhost");
        ProtocolAssert.Succeeded(again);
        Assert.Equal("snap-0", XElement.Parse(await File.ReadAllTextAsync(Path.Combine(scratch.VmDirectory, "snap-0.xml"))).Element("name")?.Value);
    }

    /// <summary>Writes a file until the file system has no byte left.</summary>
    private static async Task FillAsync(string directory)
    {
        var fill = await ProcessRun.RunAsync("dd", ["if=/dev/zero", $"of={Path.Combine(directory, "filler")}", "bs=4k"]);
        Assert.Contains("No space left on device", fill.Stderr, StringComparison.Ordinal);
    }
}
