using System.Net.Sockets;

namespace OneKvm.Remotes.Libvirt;

/// <summary>
/// A read-only connection to the local libvirt daemon over its UNIX socket, speaking the
/// remote protocol as libvirt's client library does for <c>virsh --readonly</c>: the
/// authentication list (none, or polkit), CONNECT_OPEN of the URI read-only, the calls,
/// CONNECT_CLOSE. One call at a time, no events, no keepalive. The whole exchange has one
/// deadline; a reply that is late, malformed or out of its bounds is a
/// <see cref="RemoteProtocolException"/>.
/// </summary>
internal sealed class RemoteClient(Socket socket, CancellationToken deadline) : IAsyncDisposable
{
    private const int ProcConnectOpen = 1;
    private const int ProcConnectClose = 2;
    private const int ProcAuthList = 66;
    private const int ProcAuthPolkit = 70;
    public const int ProcConnectGetAllDomainStats = 344;
    private const uint ConnectReadOnly = 1;          // VIR_CONNECT_RO
    private const int AuthNone = 0;
    private const int AuthPolkit = 2;

    private uint _serial;
    private bool _open;

    /// <summary>Connects to <paramref name="socketPath"/> and opens <paramref name="uri"/> read-only.</summary>
    public static async Task<RemoteClient> OpenAsync(string socketPath, string uri, CancellationToken deadline)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var client = new RemoteClient(socket, deadline);
        try
        {
            await client.Io(async () => await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline).ConfigureAwait(false))
                .ConfigureAwait(false);
            await client.AuthenticateAsync().ConfigureAwait(false);
            await client.CallAsync(ProcConnectOpen, new XdrWriter().UInt32(1).String(uri).UInt32(ConnectReadOnly).ToArray()).ConfigureAwait(false);
            client._open = true;
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>CONNECT_GET_ALL_DOMAIN_STATS over every domain the flags select.</summary>
    public async Task<IReadOnlyList<DomainStatsRecord>> AllDomainStatsAsync(uint stats, uint flags)
    {
        // doms: an empty array (all domains), then the stat groups and the flags
        var reply = await CallAsync(ProcConnectGetAllDomainStats, new XdrWriter().UInt32(0).UInt32(stats).UInt32(flags).ToArray())
            .ConfigureAwait(false);
        return DomainStatsReply.Parse(reply);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_open)
            {
                _open = false;
                await CallAsync(ProcConnectClose, []).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RemoteProtocolException or RemoteCallException)
        {
            // the answer is in hand: a daemon that does not confirm the close changes nothing
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>As remoteAuthenticate: the first type the daemon lists decides; SASL is not spoken here.</summary>
    private async Task AuthenticateAsync()
    {
        var first = AuthTypes(await CallAsync(ProcAuthList, []).ConfigureAwait(false));
        switch (first)
        {
            case null or AuthNone:
                return;
            case AuthPolkit:
                if (new XdrReader(await CallAsync(ProcAuthPolkit, []).ConfigureAwait(false)).ReadInt32() != 1)
                {
                    throw new RemoteProtocolException("the daemon did not complete polkit authentication");
                }
                return;
            default:
                throw new RemoteProtocolException($"the daemon asks for authentication type {first}, which only libvirt's own client speaks");
        }
    }

    private static int? AuthTypes(ReadOnlySpan<byte> reply)
    {
        var reader = new XdrReader(reply);
        var count = reader.ReadCount(RemoteLimits.AuthTypeListMax, 4, "authentication type");
        return count == 0 ? null : reader.ReadInt32();
    }

    private async Task<byte[]> CallAsync(int procedure, byte[] payload)
    {
        var serial = _serial++;
        var message = RemoteMessage.Encode(procedure, serial, payload);
        await Io(async () =>
        {
            for (var sent = 0; sent < message.Length;)
            {
                sent += await socket.SendAsync(message.AsMemory(sent), SocketFlags.None, deadline).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        var lengthWord = new byte[4];
        await ReceiveExactlyAsync(lengthWord).ConfigureAwait(false);
        var body = new byte[RemoteMessage.Length(lengthWord) - 4];
        await ReceiveExactlyAsync(body).ConfigureAwait(false);
        return RemoteMessage.ReplyPayload(body, procedure, serial).ToArray();
    }

    private Task ReceiveExactlyAsync(byte[] buffer) => Io(async () =>
    {
        for (var received = 0; received < buffer.Length;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, deadline).ConfigureAwait(false);
            if (n == 0)
            {
                throw new RemoteProtocolException("the daemon closed the connection before its reply ended");
            }
            received += n;
        }
    });

    /// <summary>Socket failures and the deadline as <see cref="RemoteProtocolException"/>.</summary>
    private async Task Io(Func<Task> io)
    {
        try
        {
            await io().ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new RemoteProtocolException($"the socket failed: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested)
        {
            throw new RemoteProtocolException("the daemon did not answer in time", e);
        }
    }
}
