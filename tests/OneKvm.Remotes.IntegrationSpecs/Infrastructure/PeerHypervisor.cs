using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// Another hypervisor host on this machine, for migrations: a second libvirtd in its own
/// mount and UTS namespaces (private state directories, its own host name and host UUID),
/// listening on a loopback TCP port (engineering-notes.md, "Two hypervisor hosts"). Its
/// "host name" for the driver is 127.0.0.1:&lt;port&gt;, so qemu+tcp://&lt;host&gt;/system reaches it.
/// Disposing removes its domains and stops its daemons, which ends the namespaces.
/// </summary>
public sealed class PeerHypervisor : IAsyncDisposable
{
    private readonly Process _libvirtd;

    private PeerHypervisor(string name, string directory, int port, Process libvirtd)
    {
        Name = name;
        Directory = directory;
        Port = port;
        _libvirtd = libvirtd;
    }

    public string Name { get; }

    public string Directory { get; }

    public int Port { get; }

    /// <summary>The host argument oned would pass for it.</summary>
    public string Host => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public string Uri => $"qemu+tcp://{Host}/system";

    public static async Task<PeerHypervisor> StartAsync(string name)
    {
        var directory = TestPaths.NewScratchDirectory("peer-" + name);
        foreach (var sub in new[] { "run", "lib", "log", "cache" })
        {
            System.IO.Directory.CreateDirectory(Path.Combine(directory, sub));
        }
        var etc = Path.Combine(directory, "etc");
        var copy = await ProcessRun.RunAsync("cp", ["-a", "/etc/libvirt", etc]);
        Assert.True(copy.ExitCode == 0, "cannot copy /etc/libvirt: " + copy);
        var port = FreeLoopbackPort();
        // libvirt refuses to migrate to a host with its own host UUID
        await File.AppendAllTextAsync(Path.Combine(etc, "libvirtd.conf"), $"""

            listen_tls = 0
            listen_tcp = 1
            tcp_port = "{port}"
            listen_addr = "127.0.0.1"
            auth_tcp = "none"
            host_uuid = "{Guid.NewGuid()}"

            """);

        // pid files default to /run: the peer's go to its own run directory
        var script = $"""
            set -e
            for d in run lib log cache; do mount --bind "$1/$d" /var/$d/libvirt; done
            mount --bind "$1/etc" /etc/libvirt
            hostname "$2"
            virtlogd -d -p /var/run/libvirt/virtlogd-peer.pid
            exec libvirtd --listen -p /var/run/libvirt/libvirtd-peer.pid
            """;
        var psi = new ProcessStartInfo("unshare", ["--mount", "--uts", "--propagation", "private", "bash", "-c", script, "peer", directory, "onekvm-peer-" + name])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var libvirtd = Process.Start(psi) ?? throw new InvalidOperationException("cannot start unshare");
        // its log goes to the peer's directory, not into a pipe nobody reads
        _ = libvirtd.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        var log = File.Create(Path.Combine(directory, "libvirtd.log"));
        _ = libvirtd.StandardError.BaseStream.CopyToAsync(log).ContinueWith(_ => log.Dispose(), TaskScheduler.Default);

        var peer = new PeerHypervisor(name, directory, port, libvirtd);
        for (var i = 0; i < 150; i++)
        {
            if (libvirtd.HasExited)
            {
                break;
            }
            if ((await peer.VirshAsync("version")).ExitCode == 0)
            {
                return peer;
            }
            await Task.Delay(200);
        }
        var exited = libvirtd.HasExited ? $"exited with {libvirtd.ExitCode}" : "does not answer after 30 s";
        await peer.DisposeAsync();
        throw new InvalidOperationException(
            $"the peer hypervisor {name} (libvirtd in its own namespaces, on {peer.Uri}) {exited}; see {directory}/libvirtd.log");
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

    public async ValueTask DisposeAsync()
    {
        if (!_libvirtd.HasExited)
        {
            var list = await VirshAsync("list", "--all", "--name");
            foreach (var domain in list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await RemoveAsync(domain);
            }
            Signal(_libvirtd.Id);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _libvirtd.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _libvirtd.Kill();
            }
        }
        var virtlogd = Path.Combine(Directory, "run", "virtlogd-peer.pid");
        if (File.Exists(virtlogd) && int.TryParse((await File.ReadAllTextAsync(virtlogd)).Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            Signal(pid);
        }
        _libvirtd.Dispose();
    }

    private static void Signal(int pid) =>
        Process.Start("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>A loopback port nothing listens on (at the moment of asking).</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Two peer hosts, B and C, started once for a test class.</summary>
public sealed class PeerHypervisors : IAsyncLifetime
{
    private PeerHypervisor? _b;
    private PeerHypervisor? _c;

    public PeerHypervisor B => _b ?? throw new InvalidOperationException("not started");

    public PeerHypervisor C => _c ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        var b = PeerHypervisor.StartAsync("b");
        var c = PeerHypervisor.StartAsync("c");
        _b = await b;
        _c = await c;
    }

    public async Task DisposeAsync()
    {
        if (_b is not null)
        {
            await _b.DisposeAsync();
        }
        if (_c is not null)
        {
            await _c.DisposeAsync();
        }
    }
}
