using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs;

/// <summary>
/// The binary works behind the shipped entry program, a bash stub (exec -a), a symlink,
/// a copy, or by its own name, and always reads the kvmrc of the remotes tree it was
/// started from.
/// </summary>
public sealed class EntryPointSpecs : IDisposable
{
    private readonly string _tree = TestPaths.NewScratchDirectory("tree");

    public void Dispose() => Directory.Delete(_tree, recursive: true);

    /// <summary>A remotes tree whose kvmrc makes every virsh call fail in a recognisable way.</summary>
    private string TreeWithMarkedKvmrc(string marker)
    {
        Directory.CreateDirectory(Path.Combine(_tree, "etc", "vmm", "kvm"));
        Directory.CreateDirectory(Path.Combine(_tree, "vmm", "kvm"));
        File.WriteAllText(Path.Combine(_tree, "etc", "vmm", "kvm", "kvmrc"), $"export LIBVIRT_URI=test:///{marker}\n");
        return _tree;
    }

    private static void AssertUsedKvmrc(ProcessResult result, string marker)
    {
        ProtocolAssert.Failed(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "ERROR"), l => l.Contains($"--connect test:///{marker}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_shipped_entry_finds_the_kvmrc_of_its_tree()
    {
        var tree = TreeWithMarkedKvmrc("entry");
        File.Copy(TestPaths.Binary, Path.Combine(tree, "vmm", "kvm", "onekvm"));
        File.Copy(TestPaths.Action("reboot"), Path.Combine(tree, "vmm", "kvm", "reboot"));

        var result = await Driver.Staged.WithRemotes(tree).RunAsync("reboot", "one-1");

        AssertUsedKvmrc(result, "entry");
    }

    [Fact]
    public async Task A_bash_stub_that_keeps_argv0_finds_the_kvmrc_of_its_tree()
    {
        var tree = TreeWithMarkedKvmrc("stub");
        File.Copy(TestPaths.Binary, Path.Combine(tree, "vmm", "kvm", "onekvm"));
        var stub = Path.Combine(tree, "vmm", "kvm", "reboot");
        ExecutableFile.Write(stub, "#!/bin/bash\nexec -a \"$0\" \"${0%/*}/onekvm\" \"$@\"\n");

        var result = await Driver.Staged.WithRemotes(tree).RunAsync("reboot", "one-1");

        AssertUsedKvmrc(result, "stub");
    }

    [Fact]
    public async Task An_entry_without_a_binary_in_its_tree_fails_with_one_line_and_not_42()
    {
        var tree = TreeWithMarkedKvmrc("none");
        File.Copy(TestPaths.Action("reboot"), Path.Combine(tree, "vmm", "kvm", "reboot"));

        var result = await Driver.Staged.WithRemotes(tree).RunAsync("reboot", "one-1");

        Assert.Equal(126, result.ExitCode);
        Assert.Equal($"onekvm entry: no onekvm binary that runs beside or above {tree}/vmm/kvm/", result.Stderr.Trim());
    }

    [Fact]
    public async Task An_entry_found_on_path_by_its_bare_name_runs_the_binary_beside_it()
    {
        var tree = TreeWithMarkedKvmrc("path");
        var bin = Path.Combine(tree, "vmm", "kvm");
        File.Copy(TestPaths.Binary, Path.Combine(bin, "onekvm"));
        File.Copy(TestPaths.Action("reset"), Path.Combine(bin, "reset"));

        // argv[0] is then "reset": no directory to take onekvm's from, so the entry's own location counts
        var result = await ProcessRun.RunAsync("bash", ["-c", "export PATH=\"$1:$PATH\"; exec reset --help", "sh", bin]);

        Assert.True(result.ExitCode == 0 && result.Stderr.Contains("Usage:", StringComparison.Ordinal), result.ToString());
    }

    [Fact]
    public async Task A_symlink_finds_the_kvmrc_of_the_tree_it_sits_in_not_of_its_target()
    {
        var tree = TreeWithMarkedKvmrc("symlink");
        File.CreateSymbolicLink(Path.Combine(tree, "vmm", "kvm", "reboot"), TestPaths.Binary);

        var result = await Driver.Staged.WithRemotes(tree).RunAsync("reboot", "one-1");

        AssertUsedKvmrc(result, "symlink");
    }

    [Fact]
    public async Task A_copy_of_the_binary_named_after_the_action_works()
    {
        var tree = TreeWithMarkedKvmrc("copy");
        File.Copy(TestPaths.Binary, Path.Combine(tree, "vmm", "kvm", "reset"));

        var result = await Driver.Staged.WithRemotes(tree).RunAsync("reset", "one-1");

        AssertUsedKvmrc(result, "copy");
    }

    [Fact]
    public async Task A_probe_entry_three_levels_deeper_finds_the_same_kvmrc()
    {
        Directory.CreateDirectory(Path.Combine(_tree, "etc", "vmm", "kvm"));
        Directory.CreateDirectory(Path.Combine(_tree, "vmm", "kvm"));
        var kvmrc = Path.Combine(_tree, "etc", "vmm", "kvm", "kvmrc");
        File.WriteAllText(kvmrc, "probe-marker-line\n");
        var probeDir = Path.Combine(_tree, "im", "kvm-probes.d", "vm", "monitor");
        Directory.CreateDirectory(probeDir);
        File.Copy(TestPaths.Binary, Path.Combine(_tree, "vmm", "kvm", "onekvm"));
        File.Copy(TestPaths.Entry("im/kvm-probes.d/vm/monitor/vm_monitor"), Path.Combine(probeDir, "vm_monitor"));

        var result = await Driver.Staged.WithRemotes(_tree).RunEntryAsync("im/kvm-probes.d/vm/monitor/vm_monitor", "", "0", "localhost");

        Assert.Contains(ProtocolAssert.LogLines(result, "WARN"), l => l.Contains($"{kvmrc}:1: 'probe-marker-line'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Onekvm_runs_an_action_named_as_its_first_argument()
    {
        await using var domain = await TestDomain.StartDisklessAsync("byname");

        var result = await Driver.Staged.RunAsync("onekvm", "reboot", domain.Name);

        ProtocolAssert.Succeeded(result);
    }

    [Fact]
    public async Task Onekvm_kvmrc_shows_each_setting_and_where_it_came_from()
    {
        var result = await Driver.Staged.RunAsync("onekvm", "kvmrc");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"# kvmrc: {TestPaths.Remotes}/etc/vmm/kvm/kvmrc (found", result.Stdout);
        Assert.Contains($"SHUTDOWN_TIMEOUT=\"180\"  # {TestPaths.Remotes}/etc/vmm/kvm/kvmrc:", result.Stdout);
        Assert.Contains("VIRSH_RETRIES=\"3\"", result.Stdout);
        Assert.Contains("OVMF_NVRAM=", result.Stdout);
        Assert.Contains("DEFAULT_ATTACH_TOTAL_BYTES_SEC=(unset)  # default", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Onekvm_kvmrc_reports_an_invalid_value_and_an_uninterpretable_line()
    {
        var result = await Driver.Staged.WithKvmrc("SHUTDOWN_TIMEOUT=-5\nrm -rf /\nFORCE_DESTROY=true\n").RunAsync("onekvm", "kvmrc");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("INVALID: SHUTDOWN_TIMEOUT=\"-5\"", result.Stdout);
        Assert.Contains("WARN: is not \"yes\"; taken as no, as upstream's scripts compare with \"yes\" exactly", result.Stdout);
        Assert.Contains(":2: 'rm' is a command, not an assignment", result.Stderr);
    }

    [Fact]
    public async Task A_kvmrc_line_that_cannot_be_read_is_a_warning_in_the_vm_log_and_the_rest_applies()
    {
        await using var domain = await TestDomain.StartDisklessAsync("warn");

        var result = await Driver.Staged.WithKvmrc("$(reboot)\nexport LIBVIRT_URI=qemu:///system\n").RunAsync("reset", domain.Name);

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "WARN"), l => l.Contains("kvmrc", StringComparison.Ordinal) && l.Contains(":1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_entry_of_the_staged_tree_answers_help_on_stderr()
    {
        var entries = Directory.GetFiles(TestPaths.Remotes, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/etc/", StringComparison.Ordinal) && !f.EndsWith("/onekvm", StringComparison.Ordinal))
            .ToList();
        Assert.True(entries.Count >= 25);

        foreach (var entry in entries)
        {
            var result = await Driver.Staged.RunPathAsync(entry, null, "--help");
            Assert.True(result.ExitCode == 0, $"{entry}: {result}");
            Assert.Equal("", result.Stdout);
            Assert.Contains("Usage:", result.Stderr);
        }
    }
}
