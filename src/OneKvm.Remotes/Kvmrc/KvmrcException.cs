namespace OneKvm.Remotes.Kvmrc;

/// <summary>A kvmrc value that cannot be used as the parameter it sets.</summary>
internal sealed class KvmrcException(string parameter, string message) : OneKvmException(message)
{
    public string Parameter { get; } = parameter;
}
