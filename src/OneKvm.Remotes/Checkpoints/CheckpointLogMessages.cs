namespace OneKvm.Remotes.Checkpoints;

internal static partial class CheckpointLogMessages
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Moved the old checkpoint {File} to {Aside}")]
    public static partial void CheckpointMovedAside(this ILogger logger, string file, string aside);

    [LoggerMessage(Level = LogLevel.Information, Message = "Put the old checkpoint {Aside} back as {File}")]
    public static partial void CheckpointPutBack(this ILogger logger, string aside, string file);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not put the old checkpoint {Aside} back as {File}: {Reason}")]
    public static partial void CheckpointNotPutBack(this ILogger logger, string aside, string file, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Keeping {File}: libvirt wrote to it and domain {Domain} is gone")]
    public static partial void CheckpointKeptAfterFailure(this ILogger logger, string file, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} was suspended by the guest; woke it up instead of restoring")]
    public static partial void WokenInsteadOfRestored(this ILogger logger, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} already runs from the checkpoint {File} (an earlier restore was interrupted after libvirt started it); finishing that restore")]
    public static partial void AlreadyRestored(this ILogger logger, string domain, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} came up from {File} although the restore was interrupted: libvirt finished it")]
    public static partial void RestoredDespiteInterruption(this ILogger logger, string domain, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} is already saved in {File} (an earlier save was interrupted after libvirt started it); the checkpoint is kept as it is")]
    public static partial void AlreadySaved(this ILogger logger, string domain, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} was saved to {File} although the save was interrupted: libvirt finished it")]
    public static partial void SavedDespiteInterruption(this ILogger logger, string domain, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} was saved to {File} although libvirtd restarted during the save: it finished it first")]
    public static partial void SavedDespiteRestart(this ILogger logger, string domain, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rewrote {Count} path(s) of the saved domain to the checkpoint's datastore {Directory}")]
    public static partial void DatastorePathsRewritten(this ILogger logger, int count, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Imported the checkpoint {File} into {Image}")]
    public static partial void CheckpointImported(this ILogger logger, string file, string image);

    [LoggerMessage(Level = LogLevel.Information, Message = "Exported the checkpoint {Image} to {File}")]
    public static partial void CheckpointExported(this ILogger logger, string image, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the checkpoint image {Image} ({Reason}); the next save.ceph of this VM fails until it is removed")]
    public static partial void ImageNotRemoved(this ILogger logger, string image, string reason);
}
