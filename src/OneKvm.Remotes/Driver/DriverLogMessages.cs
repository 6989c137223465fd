namespace OneKvm.Remotes.Driver;

internal static partial class DriverLogMessages
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "kvmrc not found at {Path}; using upstream's defaults")]
    public static partial void KvmrcMissing(this ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void KvmrcLineIgnored(this ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Note}")]
    public static partial void KvmrcValueTaken(this ILogger logger, string note);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Command \"{Command}\" failed on attempt {Attempt} ({Reason}); retrying in {Seconds:0.#} s")]
    public static partial void VirshRetrying(this ILogger logger, string command, int attempt, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Command \"{Command}\" was killed after {Seconds:0.#} s (VIRSH_TIMEOUT)")]
    public static partial void VirshTimedOut(this ILogger logger, string command, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Command \"{Command}\" failed (exit {ExitCode}): {Stderr}")]
    public static partial void CommandFailed(this ILogger logger, string command, int exitCode, string stderr);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Detail}")]
    public static partial void UnexpectedDetail(this ILogger logger, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ignoring extra arguments: {Arguments}")]
    public static partial void ExtraArguments(this ILogger logger, string arguments);
}
