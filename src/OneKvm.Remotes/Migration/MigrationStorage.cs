namespace OneKvm.Remotes.Migration;

/// <summary>
/// Where the VM's files are before and after a migration, from the action data oned sends:
/// the system datastore the VM leaves (DATASTORE: its TEMPLATE/SHARED and BASE_PATH, the VM
/// directory being BASE_PATH/&lt;vm id&gt;) and DISK_TARGET_PATH, the VM directory it goes to.
/// Like upstream's migrate, a datastore is shared only when SHARED says YES; without a
/// BASE_PATH there is no directory to copy and the migration goes on as a shared one.
/// </summary>
internal sealed record MigrationStorage(bool Shared, string SourceDirectory, string DestinationDirectory)
{
    public static MigrationStorage? From(ActionData? data, string? vmId)
    {
        var datastore = data?.Datastore;
        var basePath = ActionData.Text(datastore, "BASE_PATH");
        vmId ??= data?.VmId;
        if (datastore is null || basePath is null || vmId is null)
        {
            return null;
        }
        var shared = string.Equals(ActionData.Text(datastore.Element("TEMPLATE"), "SHARED"), "YES", StringComparison.OrdinalIgnoreCase);
        var source = Clean(basePath.TrimEnd('/') + "/" + vmId);
        var target = ActionData.Text(data!.Root, "DISK_TARGET_PATH") is { } t ? Clean(t) : source;
        return new MigrationStorage(shared, source, target);
    }

    /// <summary>Another system datastore than the one the VM is in (DS_LIVE_MIGRATE on one host).</summary>
    public bool ChangesDirectory => SourceDirectory != DestinationDirectory;

    /// <summary>The path with repeated slashes made one and a trailing slash dropped (OpenNebula writes /var/lib/one//datastores).</summary>
    public static string Clean(string path)
    {
        var collapsed = PosixPath.CollapseSlashes(path);
        return collapsed.Length > 1 ? collapsed.TrimEnd('/') : collapsed;
    }

    /// <summary>The path below the source VM directory, or null when it is elsewhere.</summary>
    public string? Relative(string realPath)
    {
        var prefix = SourceDirectory + "/";
        return realPath.StartsWith(prefix, StringComparison.Ordinal) ? realPath[prefix.Length..] : null;
    }

    public string OnDestination(string relative) => DestinationDirectory + "/" + relative;

    /// <summary>The XML with every attribute and text naming the source directory (or a path below it) naming the destination's.</summary>
    public XElement Relocated(XElement xml)
    {
        foreach (var attribute in xml.DescendantsAndSelf().Attributes())
        {
            attribute.Value = Moved(attribute.Value);
        }
        foreach (var text in xml.DescendantNodes().OfType<XText>())
        {
            text.Value = Moved(text.Value);
        }
        return xml;
    }

    /// <summary>As <see cref="Relocated(XElement)"/>, for XML text (a snapshot's, which names the domain's disks).</summary>
    public string Relocated(string xml, string what) =>
        Relocated(SafeXml.Parse(xml, what).Root!).ToString(SaveOptions.DisableFormatting);

    private string Moved(string value) =>
        value == SourceDirectory ? DestinationDirectory
        : value.StartsWith(SourceDirectory + "/", StringComparison.Ordinal) ? DestinationDirectory + value[SourceDirectory.Length..]
        : value;
}
