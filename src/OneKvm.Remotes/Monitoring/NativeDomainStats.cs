using OneKvm.Remotes.Libvirt;

namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The probes' one statistics call without a virsh process: libvirt's remote protocol on
/// the daemon's read-only UNIX socket (Libvirt/RemoteClient), asked what
/// <c>virsh --readonly domstats ... --nowait --list-active</c> asks, its answer turned into
/// the records <see cref="DomStatsOutput"/> reads from virsh. Used only where it is the same
/// call: LIBVIRT_URI is qemu:///system and the socket libvirt's client would pick for it
/// exists; otherwise, silently, and on an authentication it does not speak or any failure,
/// with a DEBUG line, it answers null and the probe runs virsh as before (Monitoring/README.md).
/// </summary>
internal sealed class NativeDomainStats(string uri, TimeSpan deadline, TimeProvider time, Func<string, string?> setting, ILogger logger)
{
    /// <summary>kvmrc or environment variable: <c>virsh</c> makes the probes read the statistics with virsh.</summary>
    public const string ClientVariable = "ONEKVM_LIBVIRT_CLIENT";

    /// <summary>Where the daemons' sockets are (tests point it elsewhere); libvirt's client uses /var/run/libvirt.</summary>
    public const string SocketDirectoryVariable = "ONEKVM_LIBVIRT_SOCKET_DIR";

    private const string SystemUri = "qemu:///system";
    private const uint StatState = 1;          // VIR_DOMAIN_STATS_STATE
    private const uint StatInterface = 16;     // VIR_DOMAIN_STATS_INTERFACE
    private const uint StatBlock = 32;         // VIR_DOMAIN_STATS_BLOCK
    private const uint ListActive = 1;         // VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE (--list-active)
    private const uint NoWait = 1u << 29;      // VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT (--nowait)

    public static NativeDomainStats For(VirshRunner virsh, KvmSettings settings, TimeProvider time, ILogger logger) =>
        new(virsh.Uri, virsh.Timeout, time, settings.Assigned, logger);

    /// <summary>The statistics of every active domain, or null where virsh must be asked.</summary>
    public async Task<IReadOnlyList<DomainStats>?> TryReadAsync(bool counters, CancellationToken cancellationToken)
    {
        // virsh asked for, another URI, or no socket: the configuration says virsh, every poll, so no line about it
        if (string.Equals(setting(ClientVariable), "virsh", StringComparison.Ordinal)
            || uri != SystemUri || SocketPath() is not { } socket)
        {
            return null;
        }
        using var timeout = new CancellationTokenSource(deadline, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var client = await RemoteClient.OpenAsync(socket, uri, linked.Token).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                var stats = counters ? StatState | StatInterface | StatBlock : StatState;
                return DomStatsOutput.FromRecords(await client.AllDomainStatsAsync(stats, ListActive | NoWait).ConfigureAwait(false));
            }
        }
        // the socket path too long for an address, a socket closed under the client: virsh as well
        catch (Exception e) when (e is RemoteProtocolException or RemoteCallException or ArgumentException or IOException or ObjectDisposedException
                                  && !cancellationToken.IsCancellationRequested)
        {
            logger.NativeStatsNotUsed($"{socket}: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// As libvirt's client picks the socket of qemu:///system read-only (src/remote/remote_sockets.c):
    /// the modular daemon's when it exists, else libvirtd's.
    /// </summary>
    private string? SocketPath()
    {
        var directory = setting(SocketDirectoryVariable) is { Length: > 0 } d ? d : "/var/run/libvirt";
        return new[] { "virtqemud-sock-ro", "libvirt-sock-ro" }.Select(name => Path.Combine(directory, name)).FirstOrDefault(File.Exists);
    }
}
