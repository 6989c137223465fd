using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// What every peer of the migration specs is made of (<see cref="PeerHypervisor"/>,
/// <see cref="PeerHost"/>): a libvirtd, with its virtlogd, started by a bash script under
/// `unshare --mount --uts` (the script bind-mounts the peer's private directories and execs
/// libvirtd, so the process is the namespaces' anchor), reached with virsh at
/// <see cref="Uri"/>, and stopped with every domain it still has.
/// </summary>
public sealed class PeerLibvirtd
{
    private PeerLibvirtd(Process process, string name, string directory, string uri)
    {
        Process = process;
        Name = name;
        Directory = directory;
        Uri = uri;
    }

    public Process Process { get; }

    public string Name { get; }

    public string Directory { get; }

    public string Uri { get; }

    /// <summary>Runs <paramref name="script"/> ($1.. = <paramref name="arguments"/>) in new namespaces; its stderr goes to libvirtd.log.</summary>
    public static PeerLibvirtd Start(string name, string directory, string uri, string script, params string[] arguments)
    {
        var psi = new ProcessStartInfo("unshare", ["--mount", "--uts", "--propagation", "private", "bash", "-c", script, "peer", .. arguments])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("cannot start unshare");
        // its log goes to the peer's directory, not into a pipe nobody reads
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        var log = File.Create(Path.Combine(directory, "libvirtd.log"));
        _ = process.StandardError.BaseStream.CopyToAsync(log).ContinueWith(_ => log.Dispose(), TaskScheduler.Default);
        return new PeerLibvirtd(process, name, directory, uri);
    }

    /// <summary>Waits until <paramref name="ready"/> holds (30 s at most); false when the daemon exited or never got there.</summary>
    public async Task<bool> WaitUntilAsync(Func<Task<bool>> ready)
    {
        for (var i = 0; i < 150 && !Process.HasExited; i++)
        {
            if (await ready())
            {
                return true;
            }
            await Task.Delay(200);
        }
        return false;
    }

    public string Failure => Process.HasExited ? $"exited with {Process.ExitCode}" : "does not answer after 30 s";

    public Task<ProcessResult> VirshAsync(params string[] args) =>
        ProcessRun.RunAsync("virsh", ["--connect", Uri, .. args], environment: new Dictionary<string, string?> { ["LANG"] = "C" },
            timeout: TimeSpan.FromMinutes(2));

    public async Task<string> CheckedAsync(params string[] args)
    {
        var r = await VirshAsync(args);
        Assert.True(r.ExitCode == 0, $"virsh {string.Join(' ', args)} on {Name} failed: {r}");
        return r.Stdout;
    }

    /// <summary>"running", "shut off", ... or null when this host has no such domain.</summary>
    public async Task<string?> StateAsync(string domain)
    {
        var r = await VirshAsync("domstate", domain);
        return r.ExitCode == 0 ? r.Stdout.Trim() : null;
    }

    public async Task RemoveAsync(string domain)
    {
        await VirshAsync("destroy", domain);
        await VirshAsync("undefine", "--snapshots-metadata", domain);
    }

    /// <summary>Removes its domains, runs <paramref name="beforeStop"/>, stops libvirtd and virtlogd (which ends the namespaces).</summary>
    public async Task StopAsync(Func<Task>? beforeStop = null)
    {
        if (!Process.HasExited)
        {
            var list = await VirshAsync("list", "--all", "--name");
            foreach (var domain in list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await RemoveAsync(domain);
            }
            if (beforeStop is not null)
            {
                await beforeStop();
            }
            Signal(Process.Id);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await Process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                Process.Kill();
            }
        }
        await SignalPidFileAsync(Path.Combine(Directory, "run", "virtlogd-peer.pid"));
        Process.Dispose();
    }

    /// <summary>SIGTERM to the process a pid file names, when there is one.</summary>
    public static async Task SignalPidFileAsync(string pidFile)
    {
        if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            Signal(pid);
        }
    }

    public static void Signal(int pid) =>
        System.Diagnostics.Process.Start("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
}
