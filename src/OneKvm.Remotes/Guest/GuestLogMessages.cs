namespace OneKvm.Remotes.Guest;

internal static partial class GuestLogMessages
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Replacing {File}: the previous execution (guest pid {Pid}) is over or unknown to the agent, its result was not collected")]
    public static partial void ExecutionReplaced(this ILogger logger, string file, long pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring {Problem}")]
    public static partial void PidFileUnreadable(this ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started {Program} with {Count} argument(s) in VM {VmId}, guest pid {Pid}")]
    public static partial void ExecutionStarted(this ILogger logger, string program, int count, int vmId, long pid);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No STDIN from the action data: {Reason}")]
    public static partial void NoInputInActionData(this ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId} runs no command; nothing to cancel")]
    public static partial void NothingToCancel(this ILogger logger, int vmId);

    [LoggerMessage(Level = LogLevel.Information, Message = "The command of VM {VmId} (guest pid {Pid}) had already ended")]
    public static partial void ExecutionAlreadyEnded(this ILogger logger, int vmId, long pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The guest agent of VM {VmId} no longer knows guest pid {Pid}; nothing is killed")]
    public static partial void ExecutionUnknown(this ILogger logger, int vmId, long pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ended the command of VM {VmId} (guest pid {Pid})")]
    public static partial void ExecutionEnded(this ILogger logger, int vmId, long pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No execution results this time: {Reason}")]
    public static partial void ExecutionLockBusy(this ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No status for the command of VM {VmId} (guest pid {Pid}): {Problem}")]
    public static partial void ExecutionStatusUnknown(this ILogger logger, int vmId, long pid, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The std{Stream} of VM {VmId}'s command was cut by the guest agent (qemu-ga keeps at most 16 MiB)")]
    public static partial void ExecutionOutputCut(this ILogger logger, string stream, int vmId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No guest agent keys: {Problem}")]
    public static partial void AgentConfigUnusable(this ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Syncing the clock of {Domain} in the background (SYNC_TIME=yes)")]
    public static partial void ClockSyncStarted(this ILogger logger, string domain);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not start the background clock sync of {Domain}: {Reason}")]
    public static partial void ClockSyncNotStarted(this ILogger logger, string domain, string reason);
}
