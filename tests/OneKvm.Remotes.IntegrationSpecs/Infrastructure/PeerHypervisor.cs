using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// Another hypervisor host on this machine, for migrations: a second libvirtd in its own
/// mount and UTS namespaces (private state directories, its own host name and host UUID),
/// listening on a loopback TCP port (engineering-notes.md, "Two hypervisor hosts"; set up by
/// tests/peer/peer.py through <see cref="PeerLibvirtd"/>). Its
/// "host name" for the driver is 127.0.0.1:&lt;port&gt;, so qemu+tcp://&lt;host&gt;/system reaches it.
/// Disposing removes its domains and stops its daemons, which ends the namespaces.
/// </summary>
public sealed class PeerHypervisor : IAsyncDisposable
{
    private readonly PeerLibvirtd _libvirtd;

    private PeerHypervisor(string name, string directory, int port, PeerLibvirtd libvirtd)
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
        var libvirtd = await PeerLibvirtd.StartAsync(name, directory, "onekvm-peer-" + name);
        return new PeerHypervisor(name, directory, libvirtd.Port, libvirtd);
    }

    public Task<ProcessResult> VirshAsync(params string[] args) => _libvirtd.VirshAsync(args);

    public Task<string> CheckedAsync(params string[] args) => _libvirtd.CheckedAsync(args);

    /// <summary>"running", "shut off", ... or null when this host has no such domain.</summary>
    public Task<string?> StateAsync(string domain) => _libvirtd.StateAsync(domain);

    public Task RemoveAsync(string domain) => _libvirtd.RemoveAsync(domain);

    public async ValueTask DisposeAsync() => await _libvirtd.StopAsync();

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
