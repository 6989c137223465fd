namespace OneKvm.Remotes.RootHelpers;

/// <summary>A root helper would not do what it was asked: an argument or a file it cannot prove harmless. Its message says what.</summary>
internal sealed class RefusedException(string message) : OneKvmException(message)
{
    public override int ExitCode => ExitCodes.Failure; // upstream's helpers know only 0 and 1

    /// <summary>The clause for a symlink where a root helper wanted a file or directory of its own.</summary>
    public static RefusedException Symlink(string path) => new($"{path} is a symbolic link, which a root helper does not follow");
}
