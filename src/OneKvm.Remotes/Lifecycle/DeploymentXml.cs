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
        foreach (var disk in domain.Descendants("disk"))
        {
            if ((string?)disk.Attribute("type") != "file" || (string?)disk.Attribute("device") != "disk")
            {
                continue;
            }
            var file = disk.Element("source")?.Attribute("file");
            if (file is null)
            {
                continue;
            }
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
