using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Driver;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Specs.Infrastructure;
using OneKvm.Remotes.Virsh;
using Xunit;

namespace OneKvm.Remotes.Specs.Dispatch;

public sealed class DispatcherSpecs
{
    private readonly SpecHost _host = new();

    [Fact]
    public async Task An_unknown_name_exits_non_zero_with_one_line_pointing_at_the_list()
    {
        var code = await _host.RunAsync("/var/tmp/one/vmm/kvm/frobnicate", "one-1");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("onekvm: 'frobnicate' is not an onekvm action; 'onekvm --list' shows them.\n", _host.Stderr.ToString());
        Assert.Equal("", _host.Stdout.ToString());
    }

    [Fact]
    public async Task Dispatch_uses_the_whole_file_name_dots_included()
    {
        var code = await _host.RunAsync("/var/tmp/one/vmm/kvm/save.ceph", "--help");

        Assert.Equal(0, code);
        Assert.Contains("TM_MAD is ceph", _host.Stderr.ToString());
        Assert.DoesNotContain("Save the domain's memory", _host.Stderr.ToString());
    }

    [Fact]
    public void Every_vmm_action_hook_and_probe_of_the_table_is_built()
    {
        var missing = ActionTable.All.Where(e => e.Kind != EntryKind.Tool && e.Create is null).Select(e => e.Name);

        Assert.Empty(missing);
    }

    [Fact]
    public async Task Onekvm_runs_the_action_named_first()
    {
        using var fake = new FakeVirsh("exit:42");
        _host.Virsh = VirshRunner.Default.WithExecutable(fake.Executable);
        _host.Environment["ONEKVM_KVMRC"] = "/nonexistent/kvmrc";

        var code = await _host.RunAsync("/var/tmp/one/vmm/kvm/onekvm", "reset", "one-1");

        Assert.Equal(ExitCodes.Failure, code);
        // log lines first, the sentence last: each line is written when it happens, none queued
        Assert.Equal(
            "WARN: reset: kvmrc not found at /nonexistent/kvmrc; using upstream's defaults\n" +
            "ERROR: reset: Command \"virsh --connect qemu:///system reset --domain one-1\" failed (exit 42): error: exiting 42\n" +
            "Could not reset domain one-1: exiting 42.\n",
            _host.Stderr.ToString());
    }

    [Fact]
    public async Task Help_of_an_action_goes_to_stderr_and_leaves_stdout_to_the_protocol()
    {
        var code = await _host.RunAsync("/var/tmp/one/vmm/kvm/reboot", "--help");

        Assert.Equal(0, code);
        Assert.Equal("", _host.Stdout.ToString());
        Assert.Contains("deploy_id", _host.Stderr.ToString());
    }

    [Fact]
    public async Task The_version_is_printed()
    {
        var code = await _host.RunAsync("onekvm", "--version");

        Assert.Equal(0, code);
        Assert.Matches(@"^onekvm \d+\.\d+\.\d+\n$", _host.Stdout.ToString());
    }

    [Fact]
    public async Task A_virsh_that_exits_42_never_makes_the_action_exit_42()
    {
        using var fake = new FakeVirsh("exit:42");
        _host.Virsh = VirshRunner.Default.WithExecutable(fake.Executable);
        _host.Environment["ONEKVM_KVMRC"] = "/nonexistent/kvmrc";

        var code = await _host.RunAsync("/var/tmp/one/vmm/kvm/reboot", "one-1");

        Assert.Equal(ExitCodes.Failure, code);
        // log lines first, the sentence last: each line is written when it happens, none queued
        Assert.Equal(
            "WARN: reboot: kvmrc not found at /nonexistent/kvmrc; using upstream's defaults\n" +
            "ERROR: reboot: Command \"virsh --connect qemu:///system reboot --domain one-1\" failed (exit 42): error: exiting 42\n" +
            "Could not reboot domain one-1: exiting 42.\n",
            _host.Stderr.ToString());
    }

    [Fact]
    public async Task A_bad_kvmrc_value_fails_the_action_with_a_sentence_naming_it()
    {
        var kvmrc = Path.GetTempFileName();
        await File.WriteAllTextAsync(kvmrc, "VIRSH_TIMEOUT=-1\n");
        _host.Environment["ONEKVM_KVMRC"] = kvmrc;

        var code = await _host.RunAsync("/var/tmp/one/vmm/kvm/reboot", "one-1");

        File.Delete(kvmrc);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal($"VIRSH_TIMEOUT=\"-1\" ({kvmrc}:1) is not valid: expected a whole number of 1 or more: a negative time cannot be waited.\n", _host.Sentences);
    }

    [Fact]
    public async Task A_retried_transient_failure_does_not_sleep_in_tests()
    {
        using var fake = new FakeVirsh("transient:2");
        _host.Virsh = VirshRunner.Default.WithExecutable(fake.Executable);
        _host.Environment["ONEKVM_KVMRC"] = "/nonexistent/kvmrc";

        var code = await _host.RunAsync("/var/tmp/one/vmm/kvm/reset", "one-1");

        Assert.Equal(0, code);
        Assert.Equal(2, _host.Sleeps.Count);
        Assert.Equal(3, fake.Calls.Count);
    }
}
