using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>save and restore through the staged entries against real diskless domains, and every way they can fail.</summary>
public sealed class SaveRestoreSpecs
{
    [Fact]
    public async Task Saving_stops_the_domain_into_its_checkpoint_and_restoring_brings_the_same_domain_back()
    {
        await using var scratch = new Scratch("save-restore");
        var xml = scratch.Diskless("roundtrip");
        await scratch.StartAsync(xml);
        var uuid = (await TestVirsh.CheckedAsync("domuuid", xml.Name)).Trim();

        var save = await Save(scratch, xml.Name);

        ProtocolAssert.Succeeded(save);
        Assert.Null(await TestVirsh.StateAsync(xml.Name));
        Assert.True(new FileInfo(scratch.Checkpoint).Length > 0);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            File.GetUnixFileMode(scratch.Checkpoint));

        var restore = await Restore(scratch, uuid);

        ProtocolAssert.Succeeded(restore);
        Assert.Equal("", restore.Stdout);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.Equal(uuid, (await TestVirsh.CheckedAsync("domuuid", xml.Name)).Trim());
        Assert.False(File.Exists(scratch.Checkpoint));
        // upstream printed "failed to get domain" on every successful restore
        Assert.DoesNotContain("failed to get domain", restore.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_existing_checkpoint_is_moved_aside_to_its_epoch_name_never_overwritten()
    {
        await using var scratch = new Scratch("save-aside");
        var xml = scratch.Diskless("aside");
        await scratch.StartAsync(xml);
        await File.WriteAllTextAsync(scratch.Checkpoint, "older checkpoint");
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // the epoch names of the next seconds are taken too: they must survive as well
        for (var epoch = before; epoch < before + 30; epoch++)
        {
            await File.WriteAllTextAsync($"{scratch.Checkpoint}.{epoch}", $"taken {epoch}");
        }

        var result = await Save(scratch, xml.Name);

        ProtocolAssert.Succeeded(result);
        var aside = Directory.GetFiles(scratch.VmDirectory, "checkpoint.*.1").Single();
        Assert.Equal("older checkpoint", await File.ReadAllTextAsync(aside));
        Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.Contains($"Moved the old checkpoint {scratch.Checkpoint} to {aside}", StringComparison.Ordinal));
        for (var epoch = before; epoch < before + 30; epoch++)
        {
            Assert.Equal($"taken {epoch}", await File.ReadAllTextAsync($"{scratch.Checkpoint}.{epoch}"));
        }
    }

    [Fact]
    public async Task Saving_a_missing_domain_fails_and_puts_the_old_checkpoint_back()
    {
        await using var scratch = new Scratch("save-missing");
        await File.WriteAllTextAsync(scratch.Checkpoint, "older checkpoint");
        var name = scratch.Domain("missing");

        var result = await Save(scratch, name);

        Assert.StartsWith($"Could not save domain {name} to {scratch.Checkpoint}: ", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Equal("older checkpoint", await File.ReadAllTextAsync(scratch.Checkpoint));
        Assert.Equal(["checkpoint"], Directory.GetFiles(scratch.VmDirectory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_checkpoint_directory_that_is_not_writable_fails_the_save_and_loses_nothing()
    {
        await using var scratch = new Scratch("save-readonly");
        var xml = scratch.Diskless("readonly");
        await scratch.StartAsync(xml);
        await File.WriteAllTextAsync(scratch.Checkpoint, "older checkpoint");
        await scratch.MakeReadOnlyAsync(scratch.VmDirectory);

        var result = await Save(scratch, xml.Name);

        Assert.StartsWith($"Could not move the old checkpoint {scratch.Checkpoint} aside", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.Equal("older checkpoint", await File.ReadAllTextAsync(scratch.Checkpoint));
    }

    [Fact]
    public async Task A_checkpoint_that_cannot_be_created_fails_the_save_and_the_domain_keeps_running()
    {
        await using var scratch = new Scratch("save-readonly-new");
        var xml = scratch.Diskless("readonly-new");
        await scratch.StartAsync(xml);
        await scratch.MakeReadOnlyAsync(scratch.VmDirectory);

        var result = await Save(scratch, xml.Name);

        Assert.StartsWith($"Could not create the checkpoint file {scratch.Checkpoint}: ", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
    }

    [Theory]
    [InlineData("\u0001garbage")]
    [InlineData("<domain/>")]
    public async Task Garbage_on_stdin_fails_the_save_before_the_domain_is_touched(string stdin)
    {
        await using var scratch = new Scratch("save-garbage");
        var xml = scratch.Diskless("garbage");
        await scratch.StartAsync(xml);

        var result = await Driver.Staged.RunWithStdinAsync("save", stdin, xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

        Assert.StartsWith("The action data on stdin", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.False(File.Exists(scratch.Checkpoint));
    }

    [Theory]
    [InlineData("\u0001garbage")]
    [InlineData("<VM/>")]
    public async Task Garbage_on_stdin_fails_the_restore_before_the_checkpoint_is_touched(string stdin)
    {
        await using var scratch = new Scratch("restore-garbage");
        await File.WriteAllTextAsync(scratch.Checkpoint, "memory");

        var result = await Driver.Staged.RunWithStdinAsync("restore", stdin, scratch.Checkpoint, "localhost", "", scratch.Vm, "localhost");

        Assert.StartsWith("The action data on stdin", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Equal("memory", await File.ReadAllTextAsync(scratch.Checkpoint));
    }

    [Fact]
    public async Task Memory_is_compacted_after_a_save_and_before_a_restore_when_kvmrc_asks()
    {
        await using var scratch = new Scratch("save-cleanup");
        var xml = scratch.Diskless("cleanup");
        await scratch.StartAsync(xml);
        using var fakes = new FakePrograms().WithRecordingSysctl();
        var driver = Driver.Staged.WithKvmrc("CLEANUP_MEMORY_ON_STOP=yes\nCLEANUP_MEMORY_ON_START=yes\nSYNC_TIME=no\n").WithPathFirst(fakes.Directory);
        const string cleanup = "sysctl vm.drop_caches=3 vm.compact_memory=1";

        ProtocolAssert.Succeeded(await driver.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId),
            xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost"));
        // after the save in the background, as upstream
        Assert.True(await fakes.WaitForCallAsync(cleanup, TimeSpan.FromSeconds(10)), "no cleanup after save");

        ProtocolAssert.Succeeded(await driver.RunWithStdinAsync("restore", LifecycleXml.ActionData(scratch.VmId),
            scratch.Checkpoint, "localhost", "", scratch.Vm, "localhost"));
        // before the restore, waited for
        Assert.Equal([cleanup, cleanup], fakes.Calls);
    }

    [Fact]
    public async Task The_save_itself_is_not_cut_by_virsh_timeout()
    {
        await using var scratch = new Scratch("save-slow");
        var xml = scratch.Diskless("slow");
        await scratch.StartAsync(xml);
        using var fakes = new FakePrograms().WithSlowVirsh("save", seconds: 4);

        var result = await Driver.Staged.WithKvmrc("VIRSH_TIMEOUT=1\n").WithPathFirst(fakes.Directory)
            .RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId), xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Null(await TestVirsh.StateAsync(xml.Name));
        Assert.True(new FileInfo(scratch.Checkpoint).Length > 0);
    }

    [Fact]
    public async Task The_save_hook_of_the_system_datastore_runs_after_the_save_with_the_same_arguments()
    {
        await using var scratch = new Scratch("save-hook");
        using var remotes = new RemotesCopy();
        var hook = remotes.AddHook("save.testtm", "[ -s \"$2\" ] || { echo 'the checkpoint is not written yet' >&2; exit 1; }");
        var xml = scratch.Diskless("hook");
        await scratch.StartAsync(xml);
        var data = LifecycleXml.ActionData(scratch.VmId, tmMad: "testtm");
        string[] args = [xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost"];

        var result = await remotes.Driver.RunWithStdinAsync("save", data, args);

        ProtocolAssert.Succeeded(result);
        Assert.Equal(args, await File.ReadAllLinesAsync(hook + ".args"));
        Assert.Equal(data, await File.ReadAllTextAsync(hook + ".stdin"));
    }

    [Fact]
    public async Task A_failing_save_hook_fails_the_save_with_its_reason_and_the_checkpoint_stays()
    {
        await using var scratch = new Scratch("save-hook-fails");
        using var remotes = new RemotesCopy();
        remotes.AddHook("save.testtm", "echo 'INFO: save.testtm: copying'; echo 'Could not copy the checkpoint.' >&2; exit 5");
        var xml = scratch.Diskless("hook-fails");
        await scratch.StartAsync(xml);

        var result = await remotes.Driver.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId, tmMad: "testtm"),
            xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

        Assert.Equal("The save.testtm hook failed with exit code 5: Could not copy the checkpoint.", ProtocolAssert.Failed(result));
        Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.EndsWith("save.testtm: copying", StringComparison.Ordinal));
        Assert.True(new FileInfo(scratch.Checkpoint).Length > 0);
    }

    [Fact]
    public async Task Restoring_after_a_system_datastore_migration_moves_the_disk_paths_to_the_new_datastore()
    {
        await using var scratch = new Scratch("restore-migrated");
        var xml = await scratch.WithQcow2DiskAsync("migrated");
        await scratch.StartAsync(xml);
        ProtocolAssert.Succeeded(await Save(scratch, xml.Name));
        // what a system datastore migration does: the whole VM directory moves from datastore 0 to 104
        var moved = scratch.VmDirectoryIn(104);
        Directory.CreateDirectory(Path.GetDirectoryName(moved)!);
        Directory.Move(scratch.VmDirectory, moved);

        var result = await Driver.Staged.RunWithStdinAsync("restore", LifecycleXml.ActionData(scratch.VmId),
            Path.Combine(moved, "checkpoint"), "localhost", "", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        var domain = XElement.Parse(await TestVirsh.DumpXmlAsync(xml.Name));
        Assert.Equal(Path.Combine(moved, "disk.0"), (string)domain.Descendants("disk").Single().Element("source")!.Attribute("file")!);
        XNamespace one = LifecycleXml.MetadataUri;
        Assert.Equal(moved, domain.Descendants(one + "system_datastore").Single().Value);
        Assert.False(File.Exists(Path.Combine(moved, "checkpoint")));
    }

    [Fact]
    public async Task Restoring_keeps_the_vnc_password_that_upstream_lost()
    {
        await using var scratch = new Scratch("restore-vnc");
        var xml = scratch.Diskless("vnc").WithDevice(new XElement("graphics", new XAttribute("type", "vnc"), new XAttribute("port", "-1"),
            new XAttribute("autoport", "yes"), new XAttribute("listen", "127.0.0.1"), new XAttribute("passwd", "s3cret")));
        await scratch.StartAsync(xml);
        ProtocolAssert.Succeeded(await Save(scratch, xml.Name));

        ProtocolAssert.Succeeded(await Restore(scratch, ""));

        var domain = XElement.Parse(await TestVirsh.CheckedAsync("dumpxml", "--security-info", xml.Name));
        Assert.Equal("s3cret", (string?)domain.Descendants("graphics").Single().Attribute("passwd"));
    }

    [Fact]
    public async Task Sync_time_syncs_the_guest_clock_in_the_background_without_delaying_the_answer()
    {
        await using var scratch = new Scratch("restore-synctime");
        var xml = scratch.Diskless("synctime");
        await scratch.StartAsync(xml);
        ProtocolAssert.Succeeded(await Save(scratch, xml.Name));
        using var fakes = new FakePrograms().WithSlowVirsh("domtime", seconds: 20);

        var result = await Driver.Staged.WithKvmrc("SYNC_TIME=yes\n").WithPathFirst(fakes.Directory)
            .RunWithStdinAsync("restore", LifecycleXml.ActionData(scratch.VmId), scratch.Checkpoint, "localhost", "", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.DoesNotContain(fakes.Calls, c => c.Contains("domtime", StringComparison.Ordinal) && c.EndsWith(" done", StringComparison.Ordinal));
        Assert.True(await fakes.WaitForCallAsync("domtime --domain", TimeSpan.FromSeconds(20)),
            "no background clock sync: " + string.Join('\n', fakes.Calls));
        Assert.Contains(fakes.Calls, c => c.EndsWith("--sync", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_restore_hook_brings_the_checkpoint_in_before_the_restore()
    {
        await using var scratch = new Scratch("restore-hook");
        using var remotes = new RemotesCopy();
        var xml = scratch.Diskless("restore-hook");
        await scratch.StartAsync(xml);
        ProtocolAssert.Succeeded(await Save(scratch, xml.Name));
        // where the checkpoint lives between save and restore for this (made-up) TM_MAD
        File.Move(scratch.Checkpoint, scratch.Checkpoint + ".elsewhere");
        var hook = remotes.AddHook("restore.testtm", "mv \"$1.elsewhere\" \"$1\"");
        var data = LifecycleXml.ActionData(scratch.VmId, tmMad: "testtm");
        string[] args = [scratch.Checkpoint, "localhost", "", scratch.Vm, "localhost"];

        var result = await remotes.Driver.RunWithStdinAsync("restore", data, args);

        ProtocolAssert.Succeeded(result);
        Assert.Equal(args, await File.ReadAllLinesAsync(hook + ".args"));
        Assert.Equal(data, await File.ReadAllTextAsync(hook + ".stdin"));
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
    }

    [Fact]
    public async Task A_corrupted_checkpoint_fails_the_restore_and_is_kept()
    {
        await using var scratch = new Scratch("restore-corrupt");
        var junk = new byte[200_000];
        new Random(7).NextBytes(junk);
        await File.WriteAllBytesAsync(scratch.Checkpoint, junk);

        var result = await Restore(scratch, "");

        Assert.Equal($"Could not read the domain XML saved in the checkpoint {scratch.Checkpoint}: operation failed: image magic is incorrect.",
            ProtocolAssert.Failed(result));
        Assert.Equal(junk, await File.ReadAllBytesAsync(scratch.Checkpoint));
    }

    [Fact]
    public async Task A_truncated_checkpoint_fails_after_the_retries_and_is_kept()
    {
        await using var scratch = new Scratch("restore-truncated");
        var xml = scratch.Diskless("truncated");
        await scratch.StartAsync(xml);
        ProtocolAssert.Succeeded(await Save(scratch, xml.Name));
        var whole = await File.ReadAllBytesAsync(scratch.Checkpoint);
        await File.WriteAllBytesAsync(scratch.Checkpoint, whole[..(whole.Length / 2)]);

        var result = await Restore(scratch, "");

        Assert.StartsWith($"Could not restore from {scratch.Checkpoint}: ", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        // VIRSH_RETRIES=3 attempts in all: two of them announced as retried
        Assert.Equal(2, ProtocolAssert.LogLines(result, "WARN").Count(l => l.Contains(" restore --file ", StringComparison.Ordinal) && l.Contains("retrying in 1 s", StringComparison.Ordinal)));
        Assert.True(File.Exists(scratch.Checkpoint));
        Assert.Null(await TestVirsh.StateAsync(xml.Name));
    }

    [Fact]
    public async Task A_missing_checkpoint_is_a_clear_error()
    {
        await using var scratch = new Scratch("restore-missing");

        var result = await Restore(scratch, "");

        Assert.Equal($"Could not read the domain XML saved in the checkpoint {scratch.Checkpoint}: Failed to open file '{scratch.Checkpoint}': No such file or directory.",
            ProtocolAssert.Failed(result));
    }

    [Fact]
    public async Task Restoring_a_domain_that_is_already_running_fails_and_keeps_the_checkpoint()
    {
        await using var scratch = new Scratch("restore-twice");
        var xml = scratch.Diskless("twice");
        await scratch.StartAsync(xml);
        ProtocolAssert.Succeeded(await Save(scratch, xml.Name));
        await File.WriteAllBytesAsync(scratch.Checkpoint + ".copy", await File.ReadAllBytesAsync(scratch.Checkpoint));
        ProtocolAssert.Succeeded(await Restore(scratch, ""));
        File.Move(scratch.Checkpoint + ".copy", scratch.Checkpoint);

        var result = await Restore(scratch, "");

        Assert.StartsWith($"Could not restore from {scratch.Checkpoint}: ", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.True(File.Exists(scratch.Checkpoint));
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
    }

    [Fact]
    public async Task A_hanging_virsh_is_stopped_by_virsh_timeout_and_the_checkpoint_stays()
    {
        await using var scratch = new Scratch("restore-hang");
        await File.WriteAllTextAsync(scratch.Checkpoint, "memory");
        using var fakes = new FakePrograms().WithHangingVirsh();

        var result = await Driver.Staged.WithKvmrc("VIRSH_TIMEOUT=2\n").WithPathFirst(fakes.Directory)
            .RunWithStdinAsync("restore", LifecycleXml.ActionData(scratch.VmId), scratch.Checkpoint, "localhost", "", scratch.Vm, "localhost");

        Assert.Equal($"Could not read the state of domain one-{scratch.Vm}: virsh domstate did not finish within 2 s (VIRSH_TIMEOUT) and was killed.",
            ProtocolAssert.Failed(result));
        Assert.True(result.Duration < TimeSpan.FromSeconds(30), "not stopped by VIRSH_TIMEOUT: " + result);
        Assert.Equal("memory", await File.ReadAllTextAsync(scratch.Checkpoint));
    }

    private static Task<ProcessResult> Save(Scratch scratch, string domain) =>
        Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId), domain, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

    private static Task<ProcessResult> Restore(Scratch scratch, string deployId) =>
        Driver.Staged.WithKvmrc("SYNC_TIME=no\n").RunWithStdinAsync("restore", LifecycleXml.ActionData(scratch.VmId),
            scratch.Checkpoint, "localhost", deployId, scratch.Vm, "localhost");
}
