using System.Globalization;
using System.Text.Json;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// What every peer of the migration specs is made of (<see cref="PeerHypervisor"/>,
/// <see cref="PeerHost"/>): a second libvirtd in its own namespaces, set up and torn down by
/// tests/peer/peer.py (the one place it is made, shared with the benchmarks; its text says
/// what a peer is), reached with virsh at <see cref="Uri"/>. Its `start` prints the peer's
/// description as JSON once virsh (and ssh) answer; `stop` removes its domains, stops its
/// daemons and removes its /etc/hosts line and ssh drop-in. Each start also removes what
/// peers of a crashed run left (their owner is this process's pid).
/// </summary>
public sealed class PeerLibvirtd
{
    private PeerLibvirtd(JsonElement description)
    {
        string? Text(string key) => description.GetProperty(key).ValueKind == JsonValueKind.String ? description.GetProperty(key).GetString() : null;
        Name = Text("name")!;
        Directory = Text("directory")!;
        Uri = Text("uri")!;
        Host = Text("host")!;
        Address = Text("address")!;
        Port = description.GetProperty("port").GetInt32();
        _pid = description.GetProperty("pid").GetInt32();
        Datastore = Text("datastore");
        SshdConfig = Text("sshd_config");
        SshdPidFile = Text("sshd_pid_file");
    }

    /// <summary>tests/peer/peer.py in this repository.</summary>
    public static string Script => Path.Combine(TestPaths.RepositoryRoot, "tests", "peer", "peer.py");

    public string Name { get; }

    public string Directory { get; }

    public string Uri { get; }

    /// <summary>The host argument oned would pass for it.</summary>
    public string Host { get; }

    public string Address { get; }

    /// <summary>libvirtd's TCP port.</summary>
    public int Port { get; }

    private int _pid;

    /// <summary>libvirtd's pid, the anchor of the peer's namespaces (for nsenter); a restart changes it.</summary>
    public int Pid => Volatile.Read(ref _pid);

    /// <summary>The peer's own files behind the datastore path, seen from this host (with a datastore root only).</summary>
    public string? Datastore { get; }

    public string? SshdConfig { get; }

    public string? SshdPidFile { get; }

    /// <summary>Starts a peer: <paramref name="ownHost"/> gives it a host name, address and sshd of its own, and
    /// <paramref name="datastoreRoot"/> its own files behind that path.</summary>
    public static async Task<PeerLibvirtd> StartAsync(string name, string directory, string hostname, bool ownHost = false,
        string? datastoreRoot = null)
    {
        string[] args =
        [
            "-I", "-S", "-B", Script, "start", "--name", name, "--dir", directory, "--hostname", hostname,
            "--owner", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            .. ownHost ? ["--own-host"] : Array.Empty<string>(),
            .. datastoreRoot is null ? Array.Empty<string>() : ["--datastore-root", datastoreRoot],
        ];
        var r = await ProcessRun.RunAsync("python3", args, timeout: TimeSpan.FromMinutes(3));
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"the peer {name} did not start: {r.Stderr.Trim()}");
        }
        using var json = JsonDocument.Parse(r.Stdout);
        return new PeerLibvirtd(json.RootElement.Clone());
    }

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

    /// <summary>A program run inside the peer's mount and UTS namespaces (it sees the peer's datastore).</summary>
    public Task<ProcessResult> InsideAsync(string program, params string[] args) =>
        ProcessRun.RunAsync("nsenter", ["-t", Pid.ToString(CultureInfo.InvariantCulture), "-m", "-u", "--", program, .. args],
            timeout: TimeSpan.FromMinutes(2));

    /// <summary>
    /// Restarts its libvirtd as an operator or an upgrade does (SIGTERM, <paramref name="down"/> without a daemon,
    /// a new one in the same namespaces); returns once virsh answers again. Its domains' QEMUs run on.
    /// </summary>
    public async Task RestartAsync(TimeSpan down = default)
    {
        var r = await ProcessRun.RunAsync("python3", ["-I", "-S", "-B", Script, "restart", Directory, "--down",
            down.TotalSeconds.ToString(CultureInfo.InvariantCulture)], timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, $"the peer {Name}'s libvirtd did not restart: {r}");
        using var json = JsonDocument.Parse(r.Stdout);
        Volatile.Write(ref _pid, json.RootElement.GetProperty("pid").GetInt32());
    }

    /// <summary>Removes its domains, stops its daemons (which ends the namespaces), removes its hosts line and drop-in.</summary>
    public async Task StopAsync()
    {
        var r = await ProcessRun.RunAsync("python3", ["-I", "-S", "-B", Script, "stop", Directory], timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, $"the peer {Name} did not stop: {r}");
    }
}
