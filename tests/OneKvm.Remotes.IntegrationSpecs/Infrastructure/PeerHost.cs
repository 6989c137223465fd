using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// A hypervisor that is really another host for the driver (engineering-notes.md, "A
/// destination that is really another host"): a libvirtd in its own mount and UTS
/// namespaces, with a host name of its own (an /etc/hosts line for another loopback
/// address, 127.0.0.N) on which both its libvirtd (port 16509) and an sshd started in the
/// same namespaces listen, so that qemu+tcp://&lt;name&gt;/system and `ssh &lt;name&gt;` reach the
/// same host; and its own datastore: a private directory bind-mounted over
/// <see cref="DatastoreRoot"/> inside its namespace, so it never sees this host's VM
/// files there (and a copy that did not happen shows). ssh uses a generated key and
/// known_hosts through a drop-in in /etc/ssh/ssh_config.d for that host name only.
/// Disposing stops its daemons and removes the hosts line and the drop-in.
/// </summary>
public sealed class PeerHost : IAsyncDisposable
{
    private const string HostsFile = "/etc/hosts";
    private static readonly SemaphoreSlim HostsLock = new(1, 1);

    private readonly PeerLibvirtd _libvirtd;

    private PeerHost(string name, string address, string directory, string datastoreRoot, PeerLibvirtd libvirtd)
    {
        Name = name;
        Address = address;
        Directory = directory;
        DatastoreRoot = datastoreRoot;
        _libvirtd = libvirtd;
    }

    /// <summary>Its host name (what oned passes as dest_host).</summary>
    public string Name { get; }

    public string Address { get; }

    public string Directory { get; }

    /// <summary>The path of the datastores on this host; the peer has its own directory there.</summary>
    public string DatastoreRoot { get; }

    /// <summary>The peer's own files behind <see cref="DatastoreRoot"/>, seen from this host.</summary>
    public string PrivateDatastore => Path.Combine(Directory, "datastores");

    public string Uri => $"qemu+tcp://{Name}/system";

    private string SshdConfig => Path.Combine(Directory, "sshd_config");

    private string SshdPidFile => Path.Combine(Directory, "sshd.pid");

    private string SshDropIn => $"/etc/ssh/ssh_config.d/{Name}.conf";

    private string HostsLine => $"{Address} {Name} # onekvm integration specs, pid {Environment.ProcessId}";

    public static async Task<PeerHost> StartAsync(string purpose, string datastoreRoot)
    {
        var name = TestNames.Domain("peer-" + purpose);
        var directory = TestPaths.NewScratchDirectory("host-" + purpose);
        foreach (var sub in new[] { "run", "lib", "log", "cache", "datastores" })
        {
            System.IO.Directory.CreateDirectory(Path.Combine(directory, sub));
        }
        System.IO.Directory.CreateDirectory(datastoreRoot);
        var etc = Path.Combine(directory, "etc");
        await CheckedAsync("cp", "-a", "/etc/libvirt", etc);
        var address = await FreeLoopbackAddressAsync();
        await File.AppendAllTextAsync(Path.Combine(etc, "libvirtd.conf"), $"""

            listen_tls = 0
            listen_tcp = 1
            listen_addr = "{address}"
            auth_tcp = "none"
            host_uuid = "{Guid.NewGuid()}"

            """);
        // 22 unless a host sshd listens on every address: then another port, which the client's drop-in names
        var sshPort = CanBind(address, 22) ? 22 : FreePort(address);
        await WriteSshAsync(name, address, sshPort, directory);

        // pid files default to /run: the peer's go to its own run directory
        var script = """
            set -e
            for d in run lib log cache; do mount --bind "$1/$d" /var/$d/libvirt; done
            mount --bind "$1/etc" /etc/libvirt
            mount --bind "$1/datastores" "$3"
            hostname "$2"
            mkdir -p /run/sshd
            /usr/sbin/sshd -f "$1/sshd_config"
            virtlogd -d -p /var/run/libvirt/virtlogd-peer.pid
            exec libvirtd --listen -p /var/run/libvirt/libvirtd-peer.pid
            """;
        var libvirtd = PeerLibvirtd.Start(name, directory, $"qemu+tcp://{name}/system", script, directory, name, datastoreRoot);
        var peer = new PeerHost(name, address, directory, datastoreRoot, libvirtd);
        await peer.AddHostsLineAsync();
        if (await libvirtd.WaitUntilAsync(async () => (await peer.VirshAsync("version")).ExitCode == 0 && (await peer.SshAsync("true")).ExitCode == 0))
        {
            return peer;
        }
        var failure = libvirtd.Failure;
        await peer.DisposeAsync();
        throw new InvalidOperationException($"the peer host {name} ({address}, virsh and ssh) {failure}; see {directory}/libvirtd.log");
    }

    public Task<ProcessResult> VirshAsync(params string[] args) => _libvirtd.VirshAsync(args);

    public Task<string> CheckedAsync(params string[] args) => _libvirtd.CheckedAsync(args);

    /// <summary>"running", "paused", ... or null when this host has no such domain.</summary>
    public Task<string?> StateAsync(string domain) => _libvirtd.StateAsync(domain);

    /// <summary>The command run through the real ssh, as the driver reaches the host.</summary>
    public Task<ProcessResult> SshAsync(string line) =>
        ProcessRun.RunAsync("ssh", ["-o", "BatchMode=yes", "-o", "ConnectTimeout=5", Name, line], timeout: TimeSpan.FromMinutes(1));

    /// <summary>A program run inside the peer's mount namespace (it sees the peer's datastore).</summary>
    public Task<ProcessResult> InsideAsync(string program, params string[] args) =>
        ProcessRun.RunAsync("nsenter", ["-t", _libvirtd.Process.Id.ToString(CultureInfo.InvariantCulture), "-m", "-u", "--", program, .. args],
            timeout: TimeSpan.FromMinutes(2));

    public async Task<string> InsideCheckedAsync(string program, params string[] args)
    {
        var r = await InsideAsync(program, args);
        Assert.True(r.ExitCode == 0, $"{program} {string.Join(' ', args)} inside {Name} failed: {r}");
        return r.Stdout;
    }

    /// <summary>Whether the path exists in the peer's own files.</summary>
    public bool HasOwn(string pathUnderDatastores) =>
        Path.Exists(Path.Combine(PrivateDatastore, Path.GetRelativePath(DatastoreRoot, pathUnderDatastores)));

    public string Own(string pathUnderDatastores) => Path.Combine(PrivateDatastore, Path.GetRelativePath(DatastoreRoot, pathUnderDatastores));

    public async Task StopSshdAsync()
    {
        var pid = File.Exists(SshdPidFile) ? (await File.ReadAllTextAsync(SshdPidFile)).Trim() : "";
        await PeerLibvirtd.SignalPidFileAsync(SshdPidFile);
        for (var i = 0; i < 50 && pid.Length > 0 && Path.Exists($"/proc/{pid}"); i++)
        {
            await Task.Delay(100);
        }
    }

    public async Task StartSshdAsync() => await InsideCheckedAsync("/usr/sbin/sshd", "-f", SshdConfig);

    public async Task RemoveAsync(string domain)
    {
        await _libvirtd.RemoveAsync(domain);
        await VirshAsync("undefine", "--nvram", domain);
    }

    public async ValueTask DisposeAsync()
    {
        await _libvirtd.StopAsync(StopSshdAsync);
        File.Delete(SshDropIn);
        await RemoveHostsLineAsync();
    }

    private static async Task WriteSshAsync(string name, string address, int port, string directory)
    {
        var hostKey = Path.Combine(directory, "host_key");
        var clientKey = Path.Combine(directory, "id_ed25519");
        await CheckedAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", hostKey);
        await CheckedAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "onekvm-specs", "-f", clientKey);
        File.Copy(clientKey + ".pub", Path.Combine(directory, "authorized_keys"));
        var hostPublic = (await File.ReadAllTextAsync(hostKey + ".pub")).Split(' ');
        var known = port == 22 ? $"{name},{address}" : $"[{name}]:{port},[{address}]:{port}";
        await File.WriteAllTextAsync(Path.Combine(directory, "known_hosts"), $"{known} {hostPublic[0]} {hostPublic[1]}\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "sshd_config"), $"""
            ListenAddress {address}:{port}
            HostKey {hostKey}
            PidFile {directory}/sshd.pid
            AuthorizedKeysFile {directory}/authorized_keys
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            MaxStartups 100
            Subsystem sftp internal-sftp

            """);
        // ssh as root ignores $HOME for its configuration: a drop-in for this host name only
        await File.WriteAllTextAsync($"/etc/ssh/ssh_config.d/{name}.conf", $"""
            Host {name}
                Port {port}
                User root
                IdentityFile {clientKey}
                IdentitiesOnly yes
                UserKnownHostsFile {directory}/known_hosts
                StrictHostKeyChecking yes

            """);
    }

    private async Task AddHostsLineAsync()
    {
        await HostsLock.WaitAsync();
        try
        {
            await File.AppendAllTextAsync(HostsFile, HostsLine + "\n");
        }
        finally
        {
            HostsLock.Release();
        }
    }

    private async Task RemoveHostsLineAsync()
    {
        await HostsLock.WaitAsync();
        try
        {
            // rewritten in place (other helpers' lines stay): /etc/hosts may be a bind mount that rename cannot replace
            var lines = await File.ReadAllLinesAsync(HostsFile);
            var kept = lines.Where(l => l != HostsLine).ToArray();
            if (kept.Length != lines.Length)
            {
                await File.WriteAllLinesAsync(HostsFile, kept);
            }
        }
        finally
        {
            HostsLock.Release();
        }
    }

    /// <summary>An address of 127/8 that no /etc/hosts line names and where nothing listens on 16509.</summary>
    private static async Task<string> FreeLoopbackAddressAsync()
    {
        var hosts = await File.ReadAllTextAsync(HostsFile);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var address = $"127.0.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(2, 250)}";
            if (hosts.Contains(address + " ", StringComparison.Ordinal) || hosts.Contains(address + "\t", StringComparison.Ordinal))
            {
                continue;
            }
            if (CanBind(address, 16509))
            {
                return address;
            }
        }
        throw new InvalidOperationException("no free loopback address for a peer host");
    }

    private static int FreePort(string address)
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool CanBind(string address, int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Parse(address), port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task CheckedAsync(string program, params string[] args)
    {
        var r = await ProcessRun.RunAsync(program, args);
        Assert.True(r.ExitCode == 0, $"{program} {string.Join(' ', args)} failed: {r}");
    }

}
