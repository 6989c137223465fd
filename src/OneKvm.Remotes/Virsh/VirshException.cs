using OneKvm.Remotes.Errors;

namespace OneKvm.Remotes.Virsh;

/// <summary>A virsh call that failed: carries the command, exit code and stderr.</summary>
internal class VirshException : OneKvmException
{
    public VirshException(VirshResult result)
        : base($"virsh {result.Command.Verb} failed: {Reason(result.StandardError, result.ExitCode)}")
    {
        Result = result;
    }

    protected VirshException(VirshResult result, string message)
        : base(message)
    {
        Result = result;
    }

    public VirshResult Result { get; }

    public string Verb => Result.Command.Verb;

    public string RenderedCommand => Result.RenderedCommand;

    public int VirshExitCode => Result.ExitCode;

    public string StandardError => Result.StandardError;

    /// <summary>virsh's own explanation in one line, without its "error: " prefixes.</summary>
    public string Reason() => Reason(Result.StandardError, Result.ExitCode);

    public bool IsDomainNotFound => VirshErrors.IsDomainNotFound(Result.StandardError);

    internal static string Reason(string stderr, int exitCode)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.StartsWith("error: ", StringComparison.Ordinal) ? l["error: ".Length..] : l)
            .Where(l => l.Length > 0)
            .ToList();
        if (lines.Count == 0)
        {
            return $"exit code {exitCode} and nothing on stderr";
        }
        // virsh prints the generic line first ("failed to get domain 'x'") and the cause last
        var text = lines.Count > 1 ? lines[^1] : lines[0];
        return text.TrimEnd('.');
    }
}

/// <summary>A virsh call killed because it ran past its timeout (VIRSH_TIMEOUT).</summary>
internal sealed class VirshTimeoutException(VirshResult result, TimeSpan timeout)
    : VirshException(result, $"virsh {result.Command.Verb} did not finish within {timeout.TotalSeconds:0.#} s (VIRSH_TIMEOUT) and was killed")
{
    public TimeSpan Timeout { get; } = timeout;
}

/// <summary>virsh could not be started at all.</summary>
internal sealed class VirshNotFoundException(string executable, Exception inner)
    : OneKvmException($"Cannot run '{executable}': {inner.Message}", inner);
