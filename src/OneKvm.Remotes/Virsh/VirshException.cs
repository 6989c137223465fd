namespace OneKvm.Remotes.Virsh;

/// <summary>A virsh call that failed: carries what it did (command, exit code, stderr).</summary>
internal class VirshException(ProgramResult result, string? message = null)
    : OneKvmException(message ?? $"{result.Command.Label} failed: {result.Reason()}")
{
    public ProgramResult Result { get; } = result;

    /// <summary>virsh's own explanation in one line, without its "error: " prefixes.</summary>
    public string Reason() => Result.Reason();

    public bool IsDomainNotFound => VirshErrors.IsDomainNotFound(Result.StandardError);
}

/// <summary>A virsh call killed because it ran past its timeout (VIRSH_TIMEOUT).</summary>
internal sealed class VirshTimeoutException(ProgramResult result, TimeSpan timeout)
    : VirshException(result, $"{result.Command.Label} did not finish within {timeout.TotalSeconds:0.#} s (VIRSH_TIMEOUT) and was killed")
{
    public TimeSpan Timeout { get; } = timeout;
}
