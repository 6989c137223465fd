using System.Buffers.Binary;

namespace OneKvm.Remotes.Libvirt;

/// <summary>Writes the few XDR values the client's calls carry: 4-byte integers and padded strings.</summary>
internal sealed class XdrWriter
{
    private readonly List<byte> _bytes = [];

    public XdrWriter UInt32(uint value)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, value);
        _bytes.AddRange(word);
        return this;
    }

    public XdrWriter String(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        UInt32((uint)bytes.Length);
        _bytes.AddRange(bytes);
        _bytes.AddRange(new byte[XdrReader.Padding(bytes.Length)]);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];
}
