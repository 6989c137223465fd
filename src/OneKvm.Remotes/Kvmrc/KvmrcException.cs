namespace OneKvm.Remotes.Kvmrc;

/// <summary>A kvmrc value that cannot be used as the parameter it sets.</summary>
internal sealed class KvmrcException(string message) : OneKvmException(message);
