using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Guest;
using OneKvm.Remotes.Specs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.Specs.Guest;

/// <summary>exec, exec_cancel and the execution probe wait for the lock another one holds, up to their limit.</summary>
public sealed class ExecutionLockSpecs : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("onekvm-t-exec-lock-").FullName;
    private readonly SpecTime _time = new();

    private ExecutionFiles Files => new(_directory, (delay, ct) => Task.Delay(delay, _time, ct));

    [Fact]
    public async Task An_exec_waits_for_a_held_lock_exactly_its_limit_and_then_says_who_held_it_how_long()
    {
        using var held = new FileStream(Path.Combine(_directory, ExecutionFiles.LockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        var failure = await Assert.ThrowsAsync<OneKvmException>(() => Files.LockAsync(ExecAction.LockWait, CancellationToken.None));

        Assert.StartsWith("Another exec, exec_cancel or execution probe has held", failure.Message);
        Assert.Equal(ExecAction.LockWait, _time.Elapsed);
    }

    [Fact]
    public async Task An_exec_takes_a_lock_released_at_the_last_moment_of_its_wait()
    {
        var held = new FileStream(Path.Combine(_directory, ExecutionFiles.LockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var steps = (int)(ExecAction.LockWait / TimeSpan.FromMilliseconds(100));
        // released once the clock stands at the limit: the last try before giving up takes it
        var files = new ExecutionFiles(_directory, async (delay, ct) =>
        {
            await Task.Delay(delay, _time, ct);
            if (_time.Elapsed >= ExecAction.LockWait)
            {
                held.Dispose();
            }
        });

        using var taken = await files.LockAsync(ExecAction.LockWait, CancellationToken.None);

        Assert.Equal(ExecAction.LockWait, _time.Elapsed);
        Assert.Equal(steps, _time.Sleeps.Count);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
