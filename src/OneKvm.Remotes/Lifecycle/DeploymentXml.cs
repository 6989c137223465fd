namespace OneKvm.Remotes.Lifecycle;

/// <summary>What deploy changes in the domain XML before libvirt sees it.</summary>
internal static class DeploymentXml
{
    /// <summary>
    /// File disks whose source is a disk.N link get the link's target, as upstream's
    /// deploy does with sed over the text; answers how many changed.
    /// </summary>
    public static int ResolveDiskLinks(XElement domain)
    {
        var changed = 0;
        foreach (var file in domain.Descendants("disk")
            .Where(disk => (string?)disk.Attribute("type") == "file" && (string?)disk.Attribute("device") == "disk")
            .Select(disk => disk.Element("source")?.Attribute("file")).OfType<XAttribute>().ToList())
        {
            var resolved = DiskLinks.Resolve(file.Value);
            if (resolved != file.Value)
            {
                file.Value = resolved;
                changed++;
            }
        }
        return changed;
    }
}
