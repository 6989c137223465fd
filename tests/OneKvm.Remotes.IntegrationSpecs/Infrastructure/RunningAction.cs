using System.Diagnostics;
using System.Text;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// An entry started the way <see cref="Driver"/> starts it, but left running: its stdin stays open
/// until written or closed, and the test signals it at the moment it chooses (one_vmm_exec's
/// timeout sends SIGTERM; a kill -9 models an action that died after its effect).
/// </summary>
public sealed class RunningAction : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private RunningAction(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public static RunningAction Start(Driver driver, string action, params string[] args)
    {
        var psi = ProcessRun.StartInfo(TestPaths.Action(action), args, driver.Environment, cleanEnvironment: true);
        return new RunningAction(Process.Start(psi)!);
    }

    public async Task WriteStdinAndCloseAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        _process.StandardInput.Close();
    }

    /// <summary>Sends a signal by name (TERM, INT, KILL) with kill(1).</summary>
    public async Task SignalAsync(string signal)
    {
        var kill = await ProcessRun.RunAsync("kill", [$"-{signal}", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {Pid} failed: {kill}");
        }
    }

    /// <summary>
    /// Waits until one of the process's threads sits in read(2) on its stdin pipe (/proc/PID/task/*/syscall,
    /// root only; .NET reads a dup of fd 0, so the fd is compared by what it points at): it is waiting for
    /// its stdin, not still starting.
    /// </summary>
    public async Task WaitUntilReadingStdinAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var stdin = new FileInfo($"/proc/{Pid}/fd/0").LinkTarget;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{Pid}/task"))
            {
                try
                {
                    // "0 0x14 ...": syscall 0 (read), then its first argument, the fd, in hex
                    var call = (await File.ReadAllTextAsync(Path.Combine(task, "syscall"))).Split(' ');
                    if (call.Length > 1 && call[0] == "0"
                        && new FileInfo($"/proc/{Pid}/fd/{Convert.ToInt32(call[1], 16)}").LinkTarget == stdin)
                    {
                        return;
                    }
                }
                catch (IOException)
                {
                    // the thread ended meanwhile
                }
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"process {Pid} never waited on its stdin");
    }

    /// <summary>Waits for the exit (a hang detector, not a timing goal: <paramref name="timeout"/> is generous).</summary>
    public async Task<ProcessResult> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"process {Pid} did not end within {timeout}: {await _stderr}");
        }
        return new ProcessResult(_process.ExitCode, await _stdout, await _stderr, _clock.Elapsed);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
