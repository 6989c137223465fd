using System.Diagnostics;
using System.Text;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>The outcome of a finished process.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, TimeSpan Duration)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public IEnumerable<string> StdoutLinesStartingWith(string prefix) =>
        Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith(prefix, StringComparison.Ordinal));

    public override string ToString() => $"exit {ExitCode} after {Duration.TotalMilliseconds:0} ms\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs a program with an argument array (tests never use a shell either).</summary>
public static class ProcessRun
{
    public static async Task<ProcessResult> RunAsync(string program, IEnumerable<string> args, string? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null, bool cleanEnvironment = false,
        TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var psi = StartInfo(program, args, environment, cleanEnvironment, workingDirectory);
        var sw = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // the program exited without reading stdin, as upstream's scripts may
        }
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout}");
        }
        return new ProcessResult(process.ExitCode, await stdoutTask, await stderrTask, sw.Elapsed);
    }

    /// <summary>How every test starts a program: streams redirected (UTF-8), and with <paramref name="cleanEnvironment"/>
    /// what a non-interactive ssh session of oneadmin gives, plus <paramref name="environment"/> (null removes).</summary>
    public static ProcessStartInfo StartInfo(string program, IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? environment = null, bool cleanEnvironment = false, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        if (cleanEnvironment)
        {
            // what a non-interactive ssh session of oneadmin gives: a minimal PATH, no LANG
            psi.Environment.Clear();
            psi.Environment["PATH"] = "/usr/bin:/bin:/usr/sbin:/sbin";
            psi.Environment["HOME"] = "/root";
        }
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
        {
            if (v is null)
            {
                psi.Environment.Remove(k);
            }
            else
            {
                psi.Environment[k] = v;
            }
        }
        return psi;
    }
}
