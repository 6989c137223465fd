namespace OneKvm.Remotes.Virsh;

/// <summary>A virsh call that failed: carries what it did (command, exit code, stderr).</summary>
internal class VirshException(ProgramResult result, string? message = null)
    : OneKvmException(message ?? $"{result.Command.Label} failed: {result.Reason()}")
{
    public ProgramResult Result { get; } = result;

    /// <summary>virsh's own explanation in one line, without its "error: " prefixes.</summary>
    public string Reason() => Result.Reason();

    /// <summary>What a failed step says in a sentence: virsh's reason, or the message (a timeout's, or another failure's) without its full stop.</summary>
    public static string ReasonOf(Exception e) => e is VirshException v and not VirshTimeoutException ? v.Reason() : e.Message.TrimEnd('.');

    public bool IsDomainNotFound => VirshErrors.IsDomainNotFound(Result.StandardError);
}

/// <summary>A virsh call killed because it ran past its timeout (VIRSH_TIMEOUT).</summary>
internal sealed class VirshTimeoutException(ProgramResult result, TimeSpan timeout)
    : VirshException(result, $"{result.Command.Label} did not finish within {timeout.TotalSeconds:0.#} s (VIRSH_TIMEOUT) and was killed")
{
    public TimeSpan Timeout { get; } = timeout;
}
