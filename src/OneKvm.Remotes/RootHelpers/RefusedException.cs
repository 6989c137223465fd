using OneKvm.Remotes.Errors;

namespace OneKvm.Remotes.RootHelpers;

/// <summary>A root helper would not do what it was asked: an argument or a file it cannot prove harmless. Its message says what.</summary>
internal sealed class RefusedException(string message) : OneKvmException(message)
{
    public override int ExitCode => ExitCodes.Failure; // upstream's helpers know only 0 and 1
}
