using System.Buffers.Binary;

namespace OneKvm.Remotes.Libvirt;

/// <summary>
/// One message of libvirt's RPC (src/rpc/virnetprotocol.x): a 4-byte length that counts
/// itself, a 24-byte header (program, version, procedure, type, serial, status), then the
/// XDR payload. Only what the client of <see cref="RemoteClient"/> sends and receives.
/// </summary>
internal static class RemoteMessage
{
    public const uint RemoteProgram = 0x20008086;
    public const uint ProtocolVersion = 1;
    public const int HeaderBytes = 24;
    /// <summary>The largest message accepted, length word included: twice VIR_NET_MESSAGE_MAX of virnetprotocol.x (16 MiB), for a daemon built with a larger one.</summary>
    public const int MaxMessageBytes = (32 << 20) + 4;

    private const int Call = 0;
    private const int Reply = 1;
    private const int Ok = 0;
    private const int Error = 1;

    public static byte[] Encode(int procedure, uint serial, byte[] payload) =>
    [
        .. new XdrWriter().UInt32((uint)(4 + HeaderBytes + payload.Length)).UInt32(RemoteProgram).UInt32(ProtocolVersion)
            .UInt32((uint)procedure).UInt32(Call).UInt32(serial).UInt32(Ok).ToArray(),
        .. payload,
    ];

    /// <summary>The total length announced by a message's first 4 bytes, checked against the protocol's bounds.</summary>
    public static int Length(ReadOnlySpan<byte> lengthWord)
    {
        var length = BinaryPrimitives.ReadUInt32BigEndian(lengthWord);
        if (length < 4 + HeaderBytes || length > MaxMessageBytes)
        {
            throw new RemoteProtocolException($"the daemon announced a message of {length} bytes");
        }
        return (int)length;
    }

    /// <summary>
    /// The payload of the reply to (procedure, serial), from a message without its length word;
    /// an error reply throws <see cref="RemoteCallException"/> with the daemon's message.
    /// </summary>
    public static ReadOnlySpan<byte> ReplyPayload(ReadOnlySpan<byte> message, int procedure, uint serial)
    {
        var header = new XdrReader(message);
        var program = header.ReadUInt32();
        var version = header.ReadUInt32();
        var proc = header.ReadInt32();
        var type = header.ReadInt32();
        var replySerial = header.ReadUInt32();
        var status = header.ReadInt32();
        if (program != RemoteProgram || version != ProtocolVersion || proc != procedure || type != Reply || replySerial != serial)
        {
            throw new RemoteProtocolException(
                $"the daemon sent program {program:x} version {version} procedure {proc} type {type} serial {replySerial}" +
                $" where the reply to procedure {procedure} serial {serial} was due");
        }
        var payload = message[HeaderBytes..];
        return status switch
        {
            Ok => payload,
            Error => throw ErrorOf(payload),
            _ => throw new RemoteProtocolException($"the daemon's reply has status {status}"),
        };
    }

    /// <summary>remote_error: code, domain, message (optional string), then fields the client does not use.</summary>
    private static RemoteCallException ErrorOf(ReadOnlySpan<byte> payload)
    {
        var reader = new XdrReader(payload);
        var code = reader.ReadInt32();
        reader.ReadInt32();
        var message = reader.ReadPresent("error message") ? reader.ReadString(RemoteLimits.StringMax, "error message") : "unknown error";
        return new RemoteCallException(code, message);
    }
}

/// <summary>The bounds of remote_protocol.x the client reads against.</summary>
internal static class RemoteLimits
{
    public const int StringMax = 4194304;       // REMOTE_STRING_MAX
    public const int DomainListMax = 16384;     // REMOTE_DOMAIN_LIST_MAX
    public const int StatsParamsMax = 262144;   // REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX (4096 in older releases)
    public const int AuthTypeListMax = 20;      // REMOTE_AUTH_TYPE_LIST_MAX
    public const int UuidBytes = 16;            // VIR_UUID_BUFLEN
}
