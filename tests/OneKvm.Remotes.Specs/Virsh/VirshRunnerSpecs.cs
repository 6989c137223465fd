using System.Diagnostics;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Host;
using OneKvm.Remotes.Specs.Host;
using OneKvm.Remotes.Specs.Infrastructure;
using OneKvm.Remotes.Virsh;
using Xunit;

namespace OneKvm.Remotes.Specs.Virsh;

/// <summary>The virsh preset against a fake virsh, for the faults a real one cannot be made to produce.</summary>
public sealed class VirshRunnerSpecs
{
    private readonly SpecTime _time = new();

    private VirshRunner Runner(FakeVirsh fake) => VirshRunner.Default
        .WithExecutable(fake.Executable)
        .WithUri("qemu:///system")
        .WithRunner(ProgramRunner.Default.WithTime(_time));

    [Fact]
    public async Task Arguments_reach_virsh_one_by_one_whatever_characters_they_hold()
    {
        using var fake = new FakeVirsh("echo");
        string[] hostile = ["one 7", "it's", "a\"b", "x;y", "$(touch /tmp/onekvm-injected)", "`id`", "line\nbreak", "*", "", "--pool"];

        var result = await Runner(fake).RunAsync(VirshCommand.Create("dominfo", hostile).WithReadOnly());

        var received = result.StandardOutput.Split('\0');
        Assert.Equal(["--connect", "qemu:///system", "--readonly", "dominfo", .. hostile], received[..^2]);
        Assert.Equal("LANG=C", received[^2]);
        Assert.False(File.Exists("/tmp/onekvm-injected"));
    }

    [Fact]
    public async Task A_hung_virsh_is_killed_with_its_children_when_the_timeout_passes()
    {
        using var fake = new FakeVirsh("hang");
        var started = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<VirshTimeoutException>(() =>
            Runner(fake).WithTimeout(TimeSpan.FromSeconds(2)).RunAsync(VirshCommand.Create("save", "one-1", "/x")));

        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
        Assert.Equal("virsh save did not finish within 2 s (VIRSH_TIMEOUT) and was killed", error.Message);
        var child = int.Parse(await File.ReadAllTextAsync(fake.ChildPidFile), System.Globalization.CultureInfo.InvariantCulture);
        await ProgramRunnerSpecs.WaitUntilGoneAsync(child);
    }

    [Fact]
    public async Task A_command_without_timeout_is_not_cut_short_by_virsh_timeout()
    {
        using var fake = new FakeVirsh("echo");

        var result = await Runner(fake).WithTimeout(TimeSpan.FromMilliseconds(1)).RunAsync(VirshCommand.Create("save").WithoutDeadline());

        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task Megabytes_on_stderr_do_not_deadlock_the_runner()
    {
        using var fake = new FakeVirsh("stderr-flood");

        var result = await Runner(fake).WithTimeout(TimeSpan.FromSeconds(30)).TryRunAsync(VirshCommand.Create("list"));

        Assert.Equal(1, result.ExitCode);
        Assert.True(result.StandardError.Length > 1_000_000);
        Assert.EndsWith("error: flooded", result.StandardError.TrimEnd());
    }

    [Fact]
    public async Task Virsh_tries_a_transient_failure_again_one_second_later_on_the_clock_virsh_retries_times_in_all()
    {
        var clock = new WatchedClock();
        using var program = new FailingProgram(failures: 10);
        var virsh = VirshRunner.Default.WithExecutable(program.Executable).WithTimeout(Timeout.InfiniteTimeSpan).WithAttempts(3)
            .WithRunner(ProgramRunner.Default.WithTime(clock));

        var run = virsh.TryRunAsync(VirshCommand.Create("suspend", "one-1"));

        Assert.Equal(TimeSpan.FromSeconds(1), await clock.NextTimerAsync());
        Assert.Equal(1, program.Calls);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(1), await clock.NextTimerAsync());
        Assert.Equal(2, program.Calls);
        clock.Advance(TimeSpan.FromSeconds(1));
        var result = await run;
        Assert.Equal(3, result.Attempts);
        Assert.Equal(3, program.Calls);
    }

    [Fact]
    public async Task A_call_refused_during_a_block_job_is_tried_three_times_five_seconds_apart_even_with_one_virsh_retry()
    {
        using var fake = new FakeVirsh("fail");
        var virsh = BlockJobRetry.Runner(Runner(fake).WithAttempts(1));

        await Assert.ThrowsAsync<VirshException>(() => virsh.RunAsync(VirshCommand.Create("save").RetriedWhileBlockJob().WithRetryOn("something broke")));

        Assert.Equal(3, fake.Calls.Count);
        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)], _time.Sleeps);
    }

    [Fact]
    public async Task Retries_stop_at_virsh_retries_attempts_and_the_error_carries_verb_exit_code_and_stderr()
    {
        using var fake = new FakeVirsh("transient:10");

        var error = await Assert.ThrowsAsync<VirshException>(() => Runner(fake).WithAttempts(3).RunAsync(VirshCommand.Create("suspend", "one-1")));

        Assert.Equal(3, fake.Calls.Count);
        Assert.StartsWith("virsh suspend failed: Timed out during operation: cannot acquire state change lock", error.Message);
        Assert.Equal(1, error.Result.ExitCode);
        Assert.Equal(3, error.Result.Attempts);
        Assert.Equal("virsh --connect qemu:///system suspend one-1", error.Result.Command.Render());
    }

    [Fact]
    public async Task A_failure_that_is_not_known_to_be_transient_is_never_retried()
    {
        using var fake = new FakeVirsh("fail");

        var error = await Assert.ThrowsAsync<VirshException>(() => Runner(fake).WithAttempts(5).RunAsync(VirshCommand.Create("reboot", "one-1")));

        Assert.Single(fake.Calls);
        Assert.Empty(_time.Sleeps);
        Assert.Equal("something broke", error.Reason());
    }

    [Fact]
    public async Task A_call_may_name_its_own_transient_errors()
    {
        using var fake = new FakeVirsh("fail");

        await Assert.ThrowsAsync<VirshException>(() =>
            Runner(fake).WithAttempts(2).RunAsync(VirshCommand.Create("save").WithRetryOn("something broke")));

        Assert.Equal(2, fake.Calls.Count);
    }

    [Fact]
    public async Task Garbage_on_stdout_is_returned_as_is_for_the_caller_to_reject()
    {
        using var fake = new FakeVirsh("garbage");

        var result = await Runner(fake).RunAsync(VirshCommand.Create("domstats"));

        Assert.True(result.Succeeded);
        Assert.NotEmpty(result.StandardOutput);
    }

    [Fact]
    public async Task A_missing_virsh_is_a_clear_error()
    {
        var error = await Assert.ThrowsAsync<OneKvmException>(() =>
            VirshRunner.Default.WithExecutable("/nonexistent/virsh").RunAsync(VirshCommand.Create("list")));

        Assert.StartsWith("cannot run '/nonexistent/virsh'", error.Message);
    }

    [Fact]
    public async Task Exported_kvmrc_variables_reach_virsh_but_lang_stays_c()
    {
        using var fake = new FakeVirsh("env:LANG,ONEKVM_SPEC_EXPORTED,ONEKVM_SPEC_NOT_EXPORTED");

        var result = await Runner(fake).WithEnvironment([new("LANG", "de_DE.UTF-8"), new("ONEKVM_SPEC_EXPORTED", "yes it is")])
            .RunAsync(VirshCommand.Create("list"));

        Assert.Equal(["LANG=C", "ONEKVM_SPEC_EXPORTED=yes it is", "ONEKVM_SPEC_NOT_EXPORTED unset"],
            result.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries));
    }
}
