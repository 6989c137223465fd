namespace OneKvm.Remotes.Checkpoints;

/// <summary>
/// Which checkpoint a restored domain runs from, written into the domain's own metadata by the
/// restore that starts it: <c>&lt;onekvm:restore checkpoint="..." identity="..."/&gt;</c>. libvirt
/// finishes a restore whose virsh was killed (an interrupted action), so a restore run again must
/// be able to tell "this domain already runs from this very checkpoint" (success, the checkpoint
/// may go) from "some domain of that UUID runs" (failure, the checkpoint stays). The identity is
/// the file's inode, size and modification time: a copy or a later checkpoint under the same name
/// is another one.
/// </summary>
internal static class RestoreMarker
{
    public static readonly XNamespace Namespace = "urn:onekvm:restore:1";

    private static readonly XName Element = Namespace + "restore";

    public static void Add(XElement domain, string file, string identity)
    {
        if (domain.Element("metadata") is not { } metadata)
        {
            domain.Add(metadata = new XElement("metadata"));
        }
        metadata.Elements(Element).Remove();
        metadata.Add(new XElement(Element, new XAttribute(XNamespace.Xmlns + "onekvm", Namespace),
            new XAttribute("checkpoint", file), new XAttribute("identity", identity)));
    }

    /// <summary>
    /// True when the live domain XML says it was restored from <paramref name="file"/> as it is now,
    /// or from that name when no file is left there (the restore that wrote this marker removed it, after the domain ran).
    /// </summary>
    public static bool RunsFrom(XElement liveDomain, string file) =>
        liveDomain.Element("metadata")?.Element(Element) is { } marker && (string?)marker.Attribute("checkpoint") == file
        && (RegularFile.IdentityOf(file) is not { } identity || (string?)marker.Attribute("identity") == identity);
}
