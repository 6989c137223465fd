namespace OneKvm.Remotes.Migration;

internal static partial class MigrationLogMessages
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Migrating {Domain} ({State}) from {Source} to {Destination} ({Uri})")]
    public static partial void Migrating(this ILogger logger, string domain, string state, string source, string destination, string uri);

    [LoggerMessage(Level = LogLevel.Information, Message = "Migrated {Domain} to {Destination} in {Seconds:0.0} s")]
    public static partial void Migrated(this ILogger logger, string domain, string destination, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The migration of {Domain} was interrupted; aborting its migration job on {Source}")]
    public static partial void MigrationInterrupted(this ILogger logger, string domain, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The migration job of {Domain} was still running {Seconds:0.#} s after the abort")]
    public static partial void MigrationJobStillRunning(this ILogger logger, string domain, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "After the failed migration, {Domain} is {SourceState} on {Source} and {DestinationState} on {Destination}")]
    public static partial void PlacementObserved(this ILogger logger, string domain, string sourceState, string source,
        string destinationState, string destination);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed the copy of {Domain} left on {Host} by the failed migration")]
    public static partial void LeftoverRemoved(this ILogger logger, string domain, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resumed {Domain} on {Host}, paused by the failed migration")]
    public static partial void ResumedAfterMigration(this ILogger logger, string domain, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "virsh migrate did not report success ({Reason}), but {Domain} runs on {Destination} and is gone from {Source}: the migration completed")]
    public static partial void MigratedDespiteFailure(this ILogger logger, string reason, string domain, string destination, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Domain} is gone from {Source} and runs on {Destination}: an earlier migration completed, nothing to do")]
    public static partial void AlreadyMigrated(this ILogger logger, string domain, string destination, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Domain} is gone from {Source} and paused on {Destination}: an earlier migration was cut off before its switchover ended; finishing it")]
    public static partial void SwitchoverCutOff(this ILogger logger, string domain, string source, string destination);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disk {Target} of {Domain} is not copied: {Why}")]
    public static partial void DiskNotCopied(this ILogger logger, string target, string domain, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Copied the files of {Directory} to {Destination} in {Seconds:0.0} s")]
    public static partial void FilesCopied(this ILogger logger, string directory, string destination, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed {Directory} from {Destination}, made there for the failed migration")]
    public static partial void DestinationFilesRemoved(this ILogger logger, string directory, string destination);

    [LoggerMessage(Level = LogLevel.Information, Message = "Copying {Count} disk(s) of {Domain} live ({Disks}); the system datastore is not shared")]
    public static partial void CopyingDisksLive(this ILogger logger, int count, string domain, string disks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Domain} runs on {Destination}, but after the switchover {Problem}")]
    public static partial void SwitchoverProblem(this ILogger logger, string domain, string destination, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Moving {Domain} live from {Source} to {Destination} (another system datastore of this host)")]
    public static partial void MovingDatastore(this ILogger logger, string domain, string source, string destination);

    [LoggerMessage(Level = LogLevel.Information, Message = "Moved {Domain} to {Destination} ({Count} disk(s) copied live and switched)")]
    public static partial void MovedDatastore(this ILogger logger, string domain, string destination, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The OpenNebula metadata of {Domain} still names its old directory: {Reason}")]
    public static partial void MetadataNotRewritten(this ILogger logger, string domain, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pausing {Domain} to copy the image(s) of {Disks} with their internal snapshots (QEMU's live copy cannot carry them)")]
    public static partial void PausingForSnapshotCopy(this ILogger logger, string domain, string disks);

    [LoggerMessage(Level = LogLevel.Information, Message = "Copied the image(s) of {Disks} with their internal snapshots to {Destination} in {Seconds:0.00} s, the VM paused")]
    public static partial void PausedCopyDone(this ILogger logger, string disks, string destination, double seconds);
}
