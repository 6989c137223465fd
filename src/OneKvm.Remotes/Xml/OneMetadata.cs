namespace OneKvm.Remotes.Xml;

/// <summary>
/// The metadata OpenNebula writes into every domain (LIBVIRT_MD_URI, prefix
/// LIBVIRT_MD_KEY): &lt;vm&gt;&lt;system_datastore&gt;VM directory&lt;/system_datastore&gt;...
/// It is how the snapshot actions find where to keep snapshot metadata.
/// </summary>
internal static class OneMetadata
{
    public const string SystemDatastoreElement = "system_datastore";

    /// <summary>Reads system_datastore from what `virsh metadata` prints (namespace and prefix vary: match local names).</summary>
    public static string? SystemDatastore(string metadataXml)
    {
        if (string.IsNullOrWhiteSpace(metadataXml))
        {
            return null;
        }
        return SafeXml.Parse(metadataXml, "the OpenNebula metadata of the domain").Root!.Elements()
            .FirstOrDefault(e => e.Name.LocalName == SystemDatastoreElement)?.Value.Trim() is { Length: > 0 } value ? value : null;
    }
}
