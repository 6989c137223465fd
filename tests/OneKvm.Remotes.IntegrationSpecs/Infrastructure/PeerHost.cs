using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// A hypervisor that is really another host for the driver (engineering-notes.md, "A
/// destination that is really another host"): a libvirtd in its own mount and UTS
/// namespaces, with a host name of its own (an /etc/hosts line for another loopback
/// address, 127.0.x.y) on which both its libvirtd (port 16509) and an sshd started in the
/// same namespaces listen, so that qemu+tcp://&lt;name&gt;/system and `ssh &lt;name&gt;` reach the
/// same host; and its own datastore: a private directory bind-mounted over
/// <see cref="DatastoreRoot"/> inside its namespace, so it never sees this host's VM
/// files there (and a copy that did not happen shows). ssh uses a generated key and
/// known_hosts through a drop-in in /etc/ssh/ssh_config.d for that host name only.
/// Set up by tests/peer/peer.py --own-host (through <see cref="PeerLibvirtd"/>); disposing
/// stops its daemons and removes the hosts line and the drop-in.
/// </summary>
public sealed class PeerHost : IAsyncDisposable
{
    private readonly PeerLibvirtd _libvirtd;

    private PeerHost(string directory, string datastoreRoot, PeerLibvirtd libvirtd)
    {
        Directory = directory;
        DatastoreRoot = datastoreRoot;
        _libvirtd = libvirtd;
    }

    /// <summary>Its host name (what oned passes as dest_host).</summary>
    public string Name => _libvirtd.Name;

    public string Address => _libvirtd.Address;

    public string Directory { get; }

    /// <summary>The path of the datastores on this host; the peer has its own directory there.</summary>
    public string DatastoreRoot { get; }

    /// <summary>The peer's own files behind <see cref="DatastoreRoot"/>, seen from this host.</summary>
    public string PrivateDatastore => _libvirtd.Datastore!;

    public string Uri => _libvirtd.Uri;

    public static async Task<PeerHost> StartAsync(string purpose, string datastoreRoot)
    {
        var name = TestNames.Domain("peer-" + purpose);
        var directory = TestPaths.NewScratchDirectory("host-" + purpose);
        System.IO.Directory.CreateDirectory(datastoreRoot);
        var libvirtd = await PeerLibvirtd.StartAsync(name, directory, name, ownHost: true, datastoreRoot: datastoreRoot);
        return new PeerHost(directory, datastoreRoot, libvirtd);
    }

    public Task<ProcessResult> VirshAsync(params string[] args) => _libvirtd.VirshAsync(args);

    public Task<string> CheckedAsync(params string[] args) => _libvirtd.CheckedAsync(args);

    /// <summary>"running", "paused", ... or null when this host has no such domain.</summary>
    public Task<string?> StateAsync(string domain) => _libvirtd.StateAsync(domain);

    /// <summary>The command run through the real ssh, as the driver reaches the host.</summary>
    public Task<ProcessResult> SshAsync(string line) =>
        ProcessRun.RunAsync("ssh", ["-o", "BatchMode=yes", "-o", "ConnectTimeout=5", Name, line], timeout: TimeSpan.FromMinutes(1));

    /// <summary>A program run inside the peer's mount namespace (it sees the peer's datastore).</summary>
    public Task<ProcessResult> InsideAsync(string program, params string[] args) => _libvirtd.InsideAsync(program, args);

    public async Task<string> InsideCheckedAsync(string program, params string[] args)
    {
        var r = await InsideAsync(program, args);
        Assert.True(r.ExitCode == 0, $"{program} {string.Join(' ', args)} inside {Name} failed: {r}");
        return r.Stdout;
    }

    /// <summary>Whether the path exists in the peer's own files.</summary>
    public bool HasOwn(string pathUnderDatastores) => Path.Exists(Own(pathUnderDatastores));

    public string Own(string pathUnderDatastores) => Path.Combine(PrivateDatastore, Path.GetRelativePath(DatastoreRoot, pathUnderDatastores));

    public async Task StopSshdAsync()
    {
        var pid = File.Exists(_libvirtd.SshdPidFile) ? (await File.ReadAllTextAsync(_libvirtd.SshdPidFile)).Trim() : "";
        if (pid.Length > 0)
        {
            await ProcessRun.RunAsync("kill", ["-TERM", pid]);
        }
        for (var i = 0; i < 50 && pid.Length > 0 && Path.Exists($"/proc/{pid}"); i++)
        {
            await Task.Delay(100);
        }
    }

    public async Task StartSshdAsync() => await InsideCheckedAsync("/usr/sbin/sshd", "-f", _libvirtd.SshdConfig!);

    public async Task RemoveAsync(string domain)
    {
        await _libvirtd.RemoveAsync(domain);
        await VirshAsync("undefine", "--nvram", domain);
    }

    public async ValueTask DisposeAsync() => await _libvirtd.StopAsync();
}
