namespace OneKvm.Remotes.Checkpoints;

/// <summary>
/// Where a checkpoint sits in OpenNebula's system datastore layout,
/// <c>&lt;datastores&gt;/&lt;ds_id&gt;/&lt;vm_id&gt;/checkpoint</c>, read from its path the way
/// upstream's restore does (three dirnames, keeping a double slash).
/// </summary>
internal sealed record CheckpointLocation(string VmDirectory, string DatastoreId, string DatastoresDirectory)
{
    public static CheckpointLocation Of(string checkpointFile)
    {
        var vmDirectory = PosixPath.Dirname(checkpointFile);
        var datastoreDirectory = PosixPath.Dirname(vmDirectory);
        return new CheckpointLocation(vmDirectory, PosixPath.Basename(datastoreDirectory), PosixPath.Dirname(datastoreDirectory));
    }

    /// <summary>True when the path has the datastore layout (a numeric datastore id under a datastores directory).</summary>
    public bool IsInDatastoreLayout =>
        DatastoreId.Length > 0 && DatastoreId.All(char.IsAsciiDigit) && DatastoresDirectory.StartsWith('/');
}
