namespace OneKvm.Remotes.Libvirt;

/// <summary>The daemon did not answer as libvirt's remote protocol says, or not in time: the caller uses virsh instead.</summary>
internal sealed class RemoteProtocolException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The daemon answered a call with an error (remote_error): its message, as virsh would print it.</summary>
internal sealed class RemoteCallException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}
