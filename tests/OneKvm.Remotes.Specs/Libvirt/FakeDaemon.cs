using System.Buffers.Binary;
using System.Net.Sockets;

namespace OneKvm.Remotes.Specs.Libvirt;

/// <summary>
/// A daemon on a UNIX socket for the faults libvirtd cannot be made to produce: it reads each
/// call (length word, header, payload) and writes what <see cref="Answer"/> gives for it,
/// raw bytes or nothing (it then keeps the connection open and silent).
/// </summary>
internal sealed class FakeDaemon : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _connections = [];

    public FakeDaemon(string path, Func<Call, byte[]?> answer)
    {
        Path = path;
        Answer = answer;
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen();
        _ = Task.Run(ServeAsync);
    }

    public readonly record struct Call(int Procedure, uint Serial, byte[] Message);

    public string Path { get; }

    public Func<Call, byte[]?> Answer { get; }

    public List<Call> Calls { get; } = [];

    public int Connections { get; private set; }

    /// <summary>The reply message to a call: its header with type 1 (reply) and the status, then the payload.</summary>
    public static byte[] Reply(Call call, byte[] payload, int status = 0)
    {
        var message = OneKvm.Remotes.Libvirt.RemoteMessage.Encode(call.Procedure, call.Serial, payload);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(16), 1);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(24), status);
        return message;
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (_connections)
            {
                _connections.Add(connection);
                Connections++;
            }
            _ = Task.Run(() => ConverseAsync(connection));
        }
    }

    private async Task ConverseAsync(Socket connection)
    {
        try
        {
            while (true)
            {
                var word = new byte[4];
                if (!await ReadAsync(connection, word))
                {
                    return;
                }
                var message = new byte[BinaryPrimitives.ReadUInt32BigEndian(word)];
                word.CopyTo(message, 0);
                if (!await ReadAsync(connection, message.AsMemory(4)))
                {
                    return;
                }
                var call = new Call(BinaryPrimitives.ReadInt32BigEndian(message.AsSpan(12)), BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(20)), message);
                lock (Calls)
                {
                    Calls.Add(call);
                }
                if (Answer(call) is not { } answer)
                {
                    continue;
                }
                await connection.SendAsync(answer, SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task<bool> ReadAsync(Socket connection, Memory<byte> buffer)
    {
        for (var read = 0; read < buffer.Length;)
        {
            var n = await connection.ReceiveAsync(buffer[read..], SocketFlags.None, _stop.Token);
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        lock (_connections)
        {
            _connections.ForEach(c => c.Dispose());
        }
        File.Delete(Path);
    }
}
