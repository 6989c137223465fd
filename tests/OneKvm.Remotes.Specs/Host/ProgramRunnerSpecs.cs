using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Host;
using OneKvm.Remotes.Specs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.Specs.Host;

/// <summary>The one runner of every program, on a fake clock: its retry delays and its deadlines are exact and never waited for.</summary>
public sealed class ProgramRunnerSpecs
{
    private static readonly TimeSpan NoMore = TimeSpan.FromMilliseconds(300);

    private readonly WatchedClock _clock = new();

    private ProgramRunner Runner => ProgramRunner.Default.WithTime(_clock);

    [Fact]
    public async Task A_failure_the_policy_names_is_run_again_once_the_policy_delay_has_passed_and_not_before()
    {
        using var program = new FailingProgram(failures: 2);
        var command = ProgramCommand.Create(program.Executable)
            .WithRetry(RetryPolicy.Unset.WithAttempts(3).WithDelay(TimeSpan.FromSeconds(7)).WithRetryOn("state change lock"));

        var run = Runner.RunAsync(command);

        Assert.Equal(TimeSpan.FromSeconds(7), await _clock.NextTimerAsync());
        _clock.Advance(TimeSpan.FromSeconds(6.9));
        await Task.Delay(NoMore);
        Assert.Equal(1, program.Calls);
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(TimeSpan.FromSeconds(7), await _clock.NextTimerAsync());
        Assert.Equal(2, program.Calls);
        _clock.Advance(TimeSpan.FromSeconds(7));
        var result = await run;
        Assert.True(result.Succeeded);
        Assert.Equal(3, result.Attempts);
        Assert.Equal(3, program.Calls);
    }

    [Fact]
    public async Task The_attempts_of_a_policy_count_every_run_the_first_one_included()
    {
        using var program = new FailingProgram(failures: 10);
        var command = ProgramCommand.Create(program.Executable)
            .WithRetry(RetryPolicy.Unset.WithAttempts(2).WithRetryOn("state change lock"));

        var result = await Runner.RunAsync(command);

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(2, program.Calls);
        Assert.Equal("cannot acquire state change lock", result.Reason());
    }

    [Fact]
    public async Task A_failure_the_policy_does_not_name_is_run_once()
    {
        using var program = new FailingProgram(failures: 10, stderr: "error: something broke");
        var asked = 0;
        var command = ProgramCommand.Create(program.Executable).WithRetry(RetryPolicy.Unset.WithAttempts(5).WithRetryOn("state change lock")
            .WithRetryWhen((failed, _) => ValueTask.FromResult(++asked > 0 && failed.StandardError.Contains("lock", StringComparison.Ordinal))));

        var result = await Runner.RunAsync(command);

        Assert.Equal(1, program.Calls);
        Assert.Equal(1, asked);
        Assert.Equal("something broke", result.Reason());
    }

    [Fact]
    public async Task A_run_past_its_deadline_is_killed_with_its_children_when_the_clock_reaches_the_deadline_and_not_before()
    {
        using var program = new FailingProgram(hang: true);
        var command = ProgramCommand.Create(program.Executable).WithLabel("virsh save").WithDeadline(TimeSpan.FromSeconds(30));

        var run = Runner.RunAsync(command);

        Assert.Equal(TimeSpan.FromSeconds(30), await _clock.NextTimerAsync());
        var child = await ChildAsync(program);
        _clock.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(NoMore);
        Assert.False(run.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<ProgramTimeoutException>(() => run);
        Assert.Equal("virsh save did not finish within 30 s (VIRSH_TIMEOUT) and was killed", error.Message);
        await WaitUntilGoneAsync(child);
    }

    [Fact]
    public async Task A_program_that_is_not_in_path_is_a_clear_error_and_never_retried()
    {
        var command = ProgramCommand.Create("onekvm-no-such-program").WithRetry(RetryPolicy.Unset.WithAttempts(3).WithRetryWhen((_, _) => ValueTask.FromResult(true)));

        var error = await Assert.ThrowsAsync<OneKvmException>(() => Runner.RunAsync(command));

        Assert.StartsWith("cannot run 'onekvm-no-such-program': no executable 'onekvm-no-such-program' in any absolute directory of PATH", error.Message);
        Assert.Null(Runner.Start(ProgramCommand.Create("/bin/true")));
        Assert.NotNull(Runner.Start(command));
    }

    private static async Task<int> ChildAsync(FailingProgram program)
    {
        for (var i = 0; i < 100; i++)
        {
            if (File.Exists(program.ChildPidFile) && File.ReadAllText(program.ChildPidFile).Trim() is { Length: > 0 } pid)
            {
                return int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture);
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("the program never started its child");
    }

    internal static async Task WaitUntilGoneAsync(int pid)
    {
        for (var i = 0; i < 50; i++)
        {
            if (!File.Exists($"/proc/{pid}/stat") || File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z")
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"the child {pid} survived the kill");
    }
}
