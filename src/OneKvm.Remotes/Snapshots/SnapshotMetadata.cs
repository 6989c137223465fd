namespace OneKvm.Remotes.Snapshots;

/// <summary>
/// Snapshot metadata in the VM directory (snap-N.xml): dumped when a snapshot is
/// made or another is deleted, and redefined into libvirt after deploy and restore,
/// since a transient domain loses its snapshot list when it stops.
/// </summary>
internal static class SnapshotMetadata
{
    /// <summary>Snapshot metadata holds the password of the VNC/SPICE display: owner only.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly string[] DomainElements = ["domain", "inactiveDomain"];

    /// <summary>
    /// The snapshot XML with the UUID of its domain definitions set to <paramref name="uuid"/>:
    /// a redeployed domain has a new UUID and libvirt refuses a snapshot of another one.
    /// </summary>
    public static XElement WithDomainUuid(XElement snapshot, string uuid)
    {
        var copy = new XElement(snapshot);
        foreach (var element in copy.Elements().Where(e => DomainElements.Contains(e.Name.LocalName)))
        {
            foreach (var uuidElement in element.Elements().Where(e => e.Name.LocalName == "uuid"))
            {
                uuidElement.Value = uuid;
            }
        }
        return copy;
    }

    /// <summary>Redefines every snap-*.xml of <paramref name="directory"/>, in numeric order; a failure is a warning, as upstream.</summary>
    public static async Task RedefineAllAsync(VirshRunner virsh, ILogger logger, string domain, string uuid, string directory,
        CancellationToken cancellationToken)
    {
        foreach (var file in SnapshotFiles.InOrder(directory))
        {
            try
            {
                // a regular file of bounded size only: a FIFO left in the VM directory must not hang the restore
                var text = RegularFile.TryReadText(file, "the snapshot metadata") ?? throw new OneKvmException($"{file} is gone.");
                var snapshot = SafeXml.Parse(text, $"the snapshot metadata {file}").Root!;
                var xml = WithDomainUuid(snapshot, uuid).ToString();
                // through stdin: the file stays as it was, and needs no rewrite to be read back
                var command = VirshCommand.Create("snapshot-create", "--domain", domain, "--xmlfile", "/dev/stdin", "--redefine")
                    .WithStandardInput(xml);
                await virsh.RunAsync(command, cancellationToken).ConfigureAwait(false);
                logger.SnapshotRedefined(Path.GetFileName(file), domain);
            }
            catch (Exception e) when (e is OneKvmException or IOException or UnauthorizedAccessException)
            {
                logger.SnapshotNotRedefined(file, domain, VirshException.ReasonOf(e));
            }
        }
    }

    /// <summary>Writes the snapshot's metadata to &lt;directory&gt;/&lt;name&gt;.xml; a failure is a warning, as upstream.</summary>
    public static async Task DumpAsync(VirshRunner virsh, ILogger logger, string domain, string name, string directory,
        CancellationToken cancellationToken)
    {
        var path = SnapshotFiles.PathOf(directory, name);
        try
        {
            var command = VirshCommand.Create("snapshot-dumpxml", "--domain", domain, "--snapshotname", name, "--security-info")
                .RetriedWhileBlockJob();
            var result = await BlockJobRetry.Runner(virsh).RunAsync(command, cancellationToken).ConfigureAwait(false);
            AtomicFile.WriteAllText(path, result.StandardOutput, FileMode);
        }
        catch (Exception e) when (e is OneKvmException or IOException or UnauthorizedAccessException)
        {
            logger.SnapshotNotDumped(name, path, VirshException.ReasonOf(e));
        }
    }
}
