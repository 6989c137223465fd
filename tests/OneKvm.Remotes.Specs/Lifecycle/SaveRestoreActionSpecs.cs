using OneKvm.Remotes.TestDocuments;
using Xunit;

namespace OneKvm.Remotes.Specs.Lifecycle;

/// <summary>save and restore decisions with a scripted virsh; the real round trips are in the integration specs.</summary>
public sealed class SaveRestoreActionSpecs : IDisposable
{
    private const string BlockJob = "error: Failed to save domain 'one-7' to /x\nerror: Requested operation is not valid: domain has active block job\n";
    private const string ActionData =
        "<VMM_DRIVER_ACTION_DATA><DATASTORE><TM_MAD>testtm</TM_MAD></DATASTORE><VM><ID>7</ID></VM></VMM_DRIVER_ACTION_DATA>";

    private readonly LifecycleHost _host = new();

    [Fact]
    public async Task Save_is_tried_3_times_5_s_apart_while_libvirt_reports_an_active_block_job()
    {
        var checkpoint = _host.Scratch("0/7/checkpoint");
        _host.Virsh.On("save", exit: 1, stderr: BlockJob, call: 1).On("save", exit: 1, stderr: BlockJob, call: 2).On("save");

        Assert.Equal(0, await _host.RunAsync("save", "one-7", checkpoint, "localhost", "7", "localhost"));
        Assert.Equal(3, _host.Virsh.CallsTo("save"));
        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)], _host.Host.Sleeps);
    }

    [Fact]
    public async Task A_save_that_keeps_failing_puts_the_old_checkpoint_back_under_its_name()
    {
        var checkpoint = _host.Scratch("0/7/checkpoint");
        File.WriteAllText(checkpoint, "old memory");
        _host.Virsh.On("save", exit: 1, stderr: BlockJob).On("domstate", stdout: "running\n");

        Assert.Equal(1, await _host.RunAsync("save", "one-7", checkpoint, "localhost", "7", "localhost"));
        Assert.Equal($"Could not save domain one-7 to {checkpoint}: Requested operation is not valid: domain has active block job.", _host.Sentence);
        Assert.Equal("old memory", File.ReadAllText(checkpoint));
        Assert.Equal(["checkpoint"], Directory.GetFiles(Path.GetDirectoryName(checkpoint)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task The_save_hook_of_the_system_datastore_gets_the_same_arguments_and_the_action_data()
    {
        var checkpoint = _host.Scratch("0/7/checkpoint");
        var record = WriteHook("save.testtm", exit: 0);
        _host.Virsh.On("save");
        _host.Host.Stdin = ActionData;
        string[] args = ["one-7", checkpoint, "localhost", "7", "localhost"];

        Assert.Equal(0, await _host.RunAsync("save", args));
        Assert.Equal(args, File.ReadAllLines(record + ".args"));
        Assert.Equal(ActionData, File.ReadAllText(record + ".stdin"));
    }

    [Fact]
    public async Task A_failing_save_hook_fails_the_save_with_its_own_sentence_and_keeps_the_checkpoint()
    {
        var checkpoint = _host.Scratch("0/7/checkpoint");
        WriteHook("save.testtm", exit: 3, stderr: "INFO: save.testtm: copying\nCould not copy the checkpoint anywhere.");
        _host.Virsh.On("save");
        _host.Host.Stdin = ActionData;

        Assert.Equal(1, await _host.RunAsync("save", "one-7", checkpoint, "localhost", "7", "localhost"));
        Assert.Equal("The save.testtm hook failed with exit code 3: Could not copy the checkpoint anywhere.", _host.Sentence);
        Assert.True(File.Exists(checkpoint));
    }

    [Fact]
    public async Task A_tm_mad_that_is_a_path_is_refused_before_the_domain_is_saved()
    {
        _host.Host.Stdin = ActionData.Replace("testtm", "../../../tmp/evil", StringComparison.Ordinal);

        Assert.Equal(1, await _host.RunAsync("save", "one-7", _host.Scratch("0/7/checkpoint"), "localhost", "7", "localhost"));
        Assert.Contains("is not a plain name", _host.Sentence, StringComparison.Ordinal);
        Assert.Empty(_host.Virsh.Calls);
    }

    [Fact]
    public async Task Restore_wakes_a_guest_that_suspended_itself_instead_of_restoring()
    {
        var checkpoint = _host.Scratch("0/7/checkpoint");
        _host.Virsh.On("domstate", stdout: "pmsuspended\n").On("dompmwakeup");

        Assert.Equal(0, await _host.RunAsync("restore", checkpoint, "localhost", "uuid-7", "7", "localhost"));
        Assert.Equal(["domstate", "dompmwakeup"], _host.Virsh.Verbs);
        Assert.Equal(["dompmwakeup", "--domain", "uuid-7"], _host.Virsh.Calls[1]);
    }

    [Fact]
    public async Task Without_a_deploy_id_restore_asks_about_one_vm_id_quietly()
    {
        var checkpoint = _host.Scratch("0/7/checkpoint");
        _host.Virsh.On("domstate", stdout: "pmsuspended\n").On("dompmwakeup");

        Assert.Equal(0, await _host.RunAsync("restore", checkpoint, "localhost", "", "7", "localhost"));
        Assert.Equal(0, _host.Host.Stdout.ToString().Length);
        Assert.Equal(["domstate", "--domain", "one-7"], _host.Virsh.Calls[0]);
    }

    [Fact]
    public async Task Restore_is_tried_virsh_retries_times_and_the_checkpoint_stays()
    {
        var checkpoint = _host.Scratch("0/7/checkpoint");
        File.WriteAllText(checkpoint, "memory");
        _host.WithSetting("VIRSH_RETRIES", "4");
        _host.Virsh.On("domstate", exit: 1, stderr: "error: failed to get domain 'uuid-7'\n")
            .On("save-image-dumpxml", stdout: "<domain><name>one-7</name><uuid>0f3c3a2e-5d4f-4c1a-9a43-3f3b8d1c2e01</uuid></domain>")
            .On("restore", exit: 1, stderr: "error: Failed to restore domain from x\nerror: internal error: qemu unexpectedly closed the monitor\n");

        Assert.Equal(1, await _host.RunAsync("restore", checkpoint, "localhost", "uuid-7", "7", "localhost"));
        Assert.Equal(4, _host.Virsh.CallsTo("restore"));
        Assert.Equal(3, _host.Host.Sleeps.Count);
        Assert.Equal(TimeSpan.FromSeconds(3), _host.Host.Time.Elapsed); // a second apart, and no wait after the last
        Assert.Equal($"Could not restore from {checkpoint}: internal error: qemu unexpectedly closed the monitor.", _host.Sentence);
        Assert.Equal("memory", File.ReadAllText(checkpoint));
    }

    [Fact]
    public async Task A_restore_libvirt_keeps_refusing_as_busy_makes_virsh_retries_attempts_in_all_not_virsh_retries_squared()
    {
        var checkpoint = _host.Scratch("0/7/checkpoint");
        File.WriteAllText(checkpoint, "memory");
        _host.Virsh.On("domstate", exit: 1, stderr: "error: failed to get domain 'uuid-7'\n")
            .On("save-image-dumpxml", stdout: "<domain><name>one-7</name><uuid>0f3c3a2e-5d4f-4c1a-9a43-3f3b8d1c2e01</uuid></domain>")
            .On("restore", exit: 1, stderr: "error: Timed out during operation: cannot acquire state change lock (held by monitor=x)\n");

        Assert.Equal(1, await _host.RunAsync("restore", checkpoint, "localhost", "uuid-7", "7", "localhost"));
        Assert.Equal(3, _host.Virsh.CallsTo("restore"));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)], _host.Host.Sleeps);
        Assert.Equal("memory", File.ReadAllText(checkpoint));
    }

    [Fact]
    public async Task Restore_hands_libvirt_the_rewritten_xml_on_stdin_never_in_a_file()
    {
        var checkpoint = _host.Scratch("datastores/104/7/checkpoint");
        File.WriteAllText(checkpoint, "memory");
        var old = Path.Combine(_host.Root, "scratch", "datastores", "0", "7", "disk.0");
        _host.Virsh.On("domstate", exit: 1, stderr: "error: failed to get domain 'one-7'\n", call: 1).On("domstate", stdout: "running\n")
            .On("save-image-dumpxml", stdout: $"<domain><name>one-7</name><uuid>0f3c3a2e-5d4f-4c1a-9a43-3f3b8d1c2e01</uuid><devices><disk type='file' device='disk'><source file='{old}'/></disk></devices></domain>")
            .On("restore");

        Assert.Equal(0, await _host.RunAsync("restore", checkpoint, "localhost", "", "7", "localhost"));
        var restore = _host.Virsh.Calls.Single(c => c[0] == "restore");
        Assert.Equal(["restore", "--file", checkpoint, "--xml", "/dev/stdin"], restore);
        Assert.Contains(old.Replace("/0/7/", "/104/7/", StringComparison.Ordinal), _host.Virsh.Stdin("restore", 1), StringComparison.Ordinal);
        Assert.Equal(["save-image-dumpxml", "--file", checkpoint, "--security-info"], _host.Virsh.Calls.Single(c => c[0] == "save-image-dumpxml"));
        Assert.False(File.Exists(checkpoint));
    }

    [Fact]
    public async Task A_domain_that_dies_right_after_the_restore_keeps_its_checkpoint()
    {
        var checkpoint = _host.Scratch("0/7/checkpoint");
        File.WriteAllText(checkpoint, "memory");
        _host.Virsh.On("domstate", exit: 1, stderr: "error: failed to get domain 'x'\n")
            .On("save-image-dumpxml", stdout: "<domain><name>one-7</name><uuid>0f3c3a2e-5d4f-4c1a-9a43-3f3b8d1c2e01</uuid></domain>")
            .On("restore");

        Assert.Equal(1, await _host.RunAsync("restore", checkpoint, "localhost", "uuid-7", "7", "localhost"));
        Assert.EndsWith("but is gone right after; the checkpoint is kept.", _host.Sentence, StringComparison.Ordinal);
        Assert.True(File.Exists(checkpoint));
    }

    /// <summary>A hook that records its argv and stdin next to itself.</summary>
    private string WriteHook(string name, int exit, string stderr = "")
    {
        var hook = Path.Combine(_host.EntryDirectory, name);
        var record = hook + ".record";
        ExecutableFile.Write(hook, $"""
            #!/bin/bash
            printf '%s\n' "$@" > '{record}.args'
            cat > '{record}.stdin'
            printf '%s\n' '{stderr.Replace("'", "'\\''", StringComparison.Ordinal)}' >&2
            exit {exit}

            """);
        return record;
    }

    public void Dispose() => _host.Dispose();
}
