using Microsoft.Extensions.Logging;

namespace OneKvm.Remotes.Lifecycle;

/// <summary>The log lines of deploy, shutdown, save, restore and the snapshot actions.</summary>
internal static partial class LifecycleLogMessages
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Resolved {Count} disk.N link(s) to their targets")]
    public static partial void DiskLinksResolved(this ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Keeping the existing NVRAM file {Path}")]
    public static partial void NvramKept(this ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "NVRAM file {Path} does not exist and OVMF_NVRAM (\"{Template}\") is not a file; leaving it to libvirt")]
    public static partial void NvramTemplateMissing(this ILogger logger, string path, string template);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created NVRAM file {Path} from {Template} ({TemplateFormat} -> {Format})")]
    public static partial void NvramCreated(this ILogger logger, string path, string template, string templateFormat, string format);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destroyed domain {Domain} again: the deployment did not finish")]
    public static partial void CreatedDomainDestroyed(this ILogger logger, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redefined snapshot from {File} for domain {Domain}")]
    public static partial void SnapshotRedefined(this ILogger logger, string file, string domain);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not redefine the snapshot in {File} for domain {Domain}: {Reason}")]
    public static partial void SnapshotNotRedefined(this ILogger logger, string file, string domain, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the metadata of snapshot {Name} to {Path}: {Reason}")]
    public static partial void SnapshotNotDumped(this ILogger logger, string name, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not list the snapshots of {Domain} to rewrite their metadata: {Reason}")]
    public static partial void SnapshotsNotListed(this ILogger logger, string domain, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Domain {Domain} has no OpenNebula system_datastore metadata; the snapshot metadata is not saved")]
    public static partial void NoSystemDatastore(this ILogger logger, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} is not running; nothing to shut down")]
    public static partial void NothingToShutDown(this ILogger logger, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} has no ACPI; destroying it (CANCEL_NO_ACPI=yes)")]
    public static partial void DestroyingWithoutAcpi(this ILogger logger, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} is {State}; waking it so that it can answer the ACPI shutdown")]
    public static partial void WakingForShutdown(this ILogger logger, string domain, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Domain {Domain} has crashed and cannot answer ACPI; destroying it (FORCE_DESTROY=yes)")]
    public static partial void DestroyingCrashed(this ILogger logger, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent the ACPI shutdown request to {Domain} again after {Seconds:0.#} s")]
    public static partial void ShutdownResent(this ILogger logger, string domain, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} shut down after {Seconds:0.#} s")]
    public static partial void ShutDown(this ILogger logger, string domain, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Timeout shutting down {Domain} after {Seconds:0.#} s; destroying it (FORCE_DESTROY=yes)")]
    public static partial void ShutdownTimedOutDestroying(this ILogger logger, string domain, double seconds);

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Rewrote {Count} path(s) of the saved domain to the checkpoint's datastore {Directory}")]
    public static partial void DatastorePathsRewritten(this ILogger logger, int count, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Syncing the clock of {Domain} in the background (SYNC_TIME=yes)")]
    public static partial void ClockSyncStarted(this ILogger logger, string domain);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not start the background clock sync of {Domain}: {Reason}")]
    public static partial void ClockSyncNotStarted(this ILogger logger, string domain, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove {Path}: {Reason}")]
    public static partial void FileNotRemoved(this ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Imported the checkpoint {File} into {Image}")]
    public static partial void CheckpointImported(this ILogger logger, string file, string image);

    [LoggerMessage(Level = LogLevel.Information, Message = "Exported the checkpoint {Image} to {File}")]
    public static partial void CheckpointExported(this ILogger logger, string image, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the checkpoint image {Image} ({Reason}); the next save.ceph of this VM fails until it is removed")]
    public static partial void ImageNotRemoved(this ILogger logger, string image, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The vTPM state in {Directory} is not restored: {Reason}")]
    public static partial void VtpmStateNotRestored(this ILogger logger, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored the vTPM state of {Domain} from {Directory}")]
    public static partial void VtpmStateRestored(this ILogger logger, string domain, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backed up the vTPM state of {Domain} to {Directory}")]
    public static partial void VtpmStateBackedUp(this ILogger logger, string domain, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read TPM_STATE from {File}: {Reason}")]
    public static partial void VtpmTemplateStateUnreadable(this ILogger logger, string file, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The vGPU of {Domain} was not released: {Reason}")]
    public static partial void VgpuNotReleased(this ILogger logger, string domain, string reason);
}
