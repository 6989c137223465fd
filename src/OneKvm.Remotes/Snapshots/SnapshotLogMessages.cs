namespace OneKvm.Remotes.Snapshots;

internal static partial class SnapshotLogMessages
{
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped the metadata of {Count} snapshot(s) of {Domain} for the migration (libvirt refuses to migrate them)")]
    public static partial void SnapshotsSetAside(this ILogger logger, int count, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redefined snapshot {Name} of {Domain} on {Host}")]
    public static partial void SnapshotCarried(this ILogger logger, string name, string domain, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not redefine snapshot {Name} of {Domain} on {Host}: {Reason}")]
    public static partial void SnapshotNotCarried(this ILogger logger, string name, string domain, string host, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Domain {Domain} already has a snapshot {Name}, left by an interrupted snapshot_create (oned gives that id again after a failure); deleting it and taking the snapshot now")]
    public static partial void LeftoverSnapshotReplaced(this ILogger logger, string domain, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} has no snapshot {Name} (an interrupted snapshot_delete deleted it); removing what is left of it")]
    public static partial void SnapshotAlreadyDeleted(this ILogger logger, string domain, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Found the snapshot journal {Path} of {Domain}, left by a move that was cut off: redefining the {Count} snapshot(s) of it libvirt lacks on {Host}")]
    public static partial void SnapshotJournalFound(this ILogger logger, string path, string domain, int count, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the snapshot journal {Path}: {Reason}")]
    public static partial void SnapshotJournalNotRemoved(this ILogger logger, string path, string reason);
}
