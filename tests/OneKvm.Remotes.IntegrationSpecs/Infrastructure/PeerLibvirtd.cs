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

    /// <summary>Starts a peer: <paramref name="ownHost"/> gives it a host name, address and sshd of its own,
    /// <paramref name="datastoreRoot"/> its own files behind that path, and <paramref name="freezeHook"/> the hook
    /// behind <see cref="FreezeWhenStarted"/>.</summary>
    public static async Task<PeerLibvirtd> StartAsync(string name, string directory, string hostname, bool ownHost = false,
        string? datastoreRoot = null, bool freezeHook = false)
    {
        string[] args =
        [
            "-I", "-S", "-B", Script, "start", "--name", name, "--dir", directory, "--hostname", hostname,
            "--owner", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            .. ownHost ? ["--own-host"] : Array.Empty<string>(),
            .. datastoreRoot is null ? Array.Empty<string>() : ["--datastore-root", datastoreRoot],
            .. freezeHook ? ["--freeze-hook"] : Array.Empty<string>(),
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
    public async Task RestartAsync(TimeSpan down = default, bool crash = false)
    {
        var r = await ProcessRun.RunAsync("python3", ["-I", "-S", "-B", Script, "restart", Directory, "--down",
            down.TotalSeconds.ToString(CultureInfo.InvariantCulture), .. crash ? ["--crash"] : Array.Empty<string>()],
            timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, $"the peer {Name}'s libvirtd did not restart: {r}");
        using var json = JsonDocument.Parse(r.Stdout);
        Volatile.Write(ref _pid, json.RootElement.GetProperty("pid").GetInt32());
    }

    /// <summary>
    /// The asynchronous job libvirt runs on the domain ("save", "start" for a restore, "migration out",
    /// "migration in"), from the status file libvirt keeps (and rewrites whole) for each running domain; null without one.
    /// </summary>
    public string? AsyncJob(string domain)
    {
        try
        {
            var status = System.Xml.Linq.XDocument.Load(Path.Combine(Directory, "run", "qemu", domain + ".xml"));
            var job = (string?)status.Root?.Element("job")?.Attribute("async");
            return job is null or "none" ? null : job;
        }
        catch (Exception e) when (e is IOException or System.Xml.XmlException)
        {
            return null;
        }
    }

    /// <summary>Waits until libvirt runs <paramref name="job"/> on the domain; false after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForJobAsync(string domain, string job, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (AsyncJob(domain) != job)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(20);
        }
        return true;
    }

    /// <summary>The pid of the domain's QEMU, from libvirt's pid file.</summary>
    public int QemuPid(string domain) =>
        int.Parse(File.ReadAllText(Path.Combine(Directory, "run", "qemu", domain + ".pid")).Trim(), CultureInfo.InvariantCulture);

    /// <summary>
    /// Stops (SIGSTOP) or continues (SIGCONT) the domain's QEMU: a job libvirt runs on it cannot end while it is
    /// stopped, so a daemon restarted meanwhile meets the job for certain. True when the signal was sent.
    /// </summary>
    public async Task<bool> SignalQemuAsync(string domain, string signal, int? pid = null)
    {
        var r = await ProcessRun.RunAsync("kill", [$"-{signal}", (pid ?? QemuPid(domain)).ToString(CultureInfo.InvariantCulture)]);
        return r.ExitCode == 0;
    }

    /// <summary>
    /// With the peer started with freezeHook: the next QEMU started for <paramref name="domain"/> (a restore, an incoming
    /// migration) is stopped by libvirt's hook before it loads anything; <see cref="IsFrozenOnStart"/> tells when.
    /// </summary>
    public void FreezeWhenStarted(string domain) => File.WriteAllText(FreezeFlag(domain), "");

    /// <summary>The hook stopped the QEMU that <see cref="FreezeWhenStarted"/> asked for (it removes the flag once it has).</summary>
    public bool IsFrozenOnStart(string domain) => !File.Exists(FreezeFlag(domain));

    public void CancelFreezeWhenStarted(string domain) => File.Delete(FreezeFlag(domain));

    private string FreezeFlag(string domain) => Path.Combine(Directory, "run", "onekvm-freeze-" + domain);

    /// <summary>True once the daemon no longer accepts connections (a restart's old daemon has stopped listening).</summary>
    public async Task<bool> WaitUntilItStopsListeningAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            using var client = new System.Net.Sockets.TcpClient();
            try
            {
                await client.ConnectAsync(Address, Port);
            }
            catch (System.Net.Sockets.SocketException)
            {
                return true;
            }
            await Task.Delay(20);
        }
        return false;
    }

    /// <summary>Removes its domains, stops its daemons (which ends the namespaces), removes its hosts line and drop-in.</summary>
    public async Task StopAsync()
    {
        var r = await ProcessRun.RunAsync("python3", ["-I", "-S", "-B", Script, "stop", Directory], timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, $"the peer {Name} did not stop: {r}");
    }
}
