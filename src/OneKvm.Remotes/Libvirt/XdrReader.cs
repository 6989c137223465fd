using System.Buffers.Binary;

namespace OneKvm.Remotes.Libvirt;

/// <summary>
/// Reads XDR (RFC 4506) from one received message: big-endian 4-byte units, strings and
/// arrays as a length then the items, padded to 4 bytes. Every length is checked against
/// the protocol's limit and against the bytes left, so garbage never allocates more than
/// the message it came in.
/// </summary>
internal ref struct XdrReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _offset;

    public readonly int Remaining => _data.Length - _offset;

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public double ReadDouble() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    /// <summary>A variable-length array's count; each item takes at least <paramref name="minItemBytes"/> on the wire.</summary>
    public int ReadCount(int max, int minItemBytes, string what)
    {
        var count = ReadUInt32();
        if (count > (uint)max || (long)count * minItemBytes > Remaining)
        {
            throw new RemoteProtocolException($"the daemon's {what} count {count} is over its limit or its message");
        }
        return (int)count;
    }

    public string ReadString(int max, string what)
    {
        var length = ReadUInt32();
        if (length > (uint)max || length > Remaining)
        {
            throw new RemoteProtocolException($"the daemon's {what} length {length} is over its limit or its message");
        }
        var text = Encoding.UTF8.GetString(Take((int)length));
        Skip(Padding((int)length));
        return text;
    }

    /// <summary>An XDR optional (pointer): a boolean, then the value when it is 1.</summary>
    public bool ReadPresent(string what) => ReadUInt32() switch
    {
        0 => false,
        1 => true,
        var other => throw new RemoteProtocolException($"the daemon's {what} presence flag is {other}"),
    };

    public void Skip(int count) => Take(count);

    public static int Padding(int length) => (4 - (length & 3)) & 3;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new RemoteProtocolException("the daemon's message ended inside a value");
        }
        var span = _data.Slice(_offset, count);
        _offset += count;
        return span;
    }
}
