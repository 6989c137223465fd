namespace OneKvm.Remotes.Dispatch;

/// <summary>
/// What SIGTERM and SIGINT do. one_vmm_exec sends one SIGTERM to an action that ran past its
/// timeout and never a SIGKILL, so the process must end on it whatever it is doing. The first
/// signal cancels the action's token: the virsh it waits for is stopped and the action cleans up
/// (puts a checkpoint back, destroys a half-deployed domain). If it has not ended
/// <see cref="Grace"/> later, or when a second signal comes, the process ends there with the
/// interruption sentence: no loop, read or parse can keep it alive.
/// </summary>
/// <param name="name">The action (or onekvm), for the sentence.</param>
/// <param name="exit">Ends the process with that code (Environment.Exit; tests record it).</param>
internal sealed class Interruption(string name, TextWriter stderr, Action<int> exit, TimeProvider time) : IDisposable
{
    /// <summary>Long enough for a clean-up's few virsh calls, short enough that a signal is obeyed.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(15);

    private readonly CancellationTokenSource _token = new();
    private readonly Lock _lock = new();
    private ITimer? _deadline;

    public CancellationToken Token => _token.Token;

    public static string Sentence(string name) => $"{name} was interrupted by a signal before it finished.";

    /// <summary>A signal arrived (the handler's thread).</summary>
    public void Signal()
    {
        lock (_lock)
        {
            if (_deadline is not null)
            {
                Exit();
                return;
            }
            _deadline = time.CreateTimer(_ => Exit(), null, Grace, Timeout.InfiniteTimeSpan);
        }
        _token.Cancel();
    }

    private void Exit()
    {
        stderr.WriteLine(Sentence(name));
        stderr.Flush();
        exit(ExitCodes.Failure);
    }

    public void Dispose()
    {
        _deadline?.Dispose();
        _token.Dispose();
    }
}
