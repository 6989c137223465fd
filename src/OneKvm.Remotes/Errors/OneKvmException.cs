namespace OneKvm.Remotes.Errors;

/// <summary>
/// An expected failure. Its message is the one sentence that ends the action's
/// stderr, which oned shows to the user; detail goes to log lines instead.
/// </summary>
internal class OneKvmException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Process exit code; never 42, which the driver reserves for "script missing".</summary>
    public virtual int ExitCode => ExitCodes.Failure;
}

/// <summary>The action was called with arguments it cannot use.</summary>
internal sealed class UsageException(string message) : OneKvmException(message)
{
    public override int ExitCode => ExitCodes.Usage;
}

/// <summary>An action that has a table entry but no implementation yet.</summary>
internal sealed class NotImplementedActionException(string action)
    : OneKvmException($"The action '{action}' is not implemented by onekvm yet.")
{
    public override int ExitCode => ExitCodes.NotImplemented;
}
