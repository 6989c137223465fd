namespace OneKvm.Remotes.Xml;

/// <summary>
/// The &lt;VMM_DRIVER_ACTION_DATA&gt; document one_vmm_exec writes on stdin: the
/// action's parameters, the whole &lt;VM&gt; (vm.xsd) and the system &lt;DATASTORE&gt;.
/// Read with XLinq, never with grep.
/// </summary>
internal sealed class ActionData
{
    public const string RootName = "VMM_DRIVER_ACTION_DATA";

    private ActionData(XElement root) => Root = root;

    public XElement Root { get; }

    public XElement? Vm => Root.Element("VM");

    public XElement? Template => Vm?.Element("TEMPLATE");

    public XElement? Datastore => Root.Element("DATASTORE");

    public string? VmId => Text(Vm, "ID");

    /// <summary>TM_MAD of the system datastore: picks the save.&lt;tm_mad&gt; / restore.&lt;tm_mad&gt; hook.</summary>
    public string? SystemTmMad => Text(Datastore, "TM_MAD");

    public static ActionData Parse(string xml)
    {
        var document = SafeXml.Parse(xml, "the action data on stdin");
        if (document.Root?.Name.LocalName != RootName)
        {
            throw new OneKvmException(
                $"The action data on stdin has the root <{document.Root?.Name.LocalName}>, not <{RootName}>.");
        }
        return new ActionData(document.Root);
    }

    /// <summary>The template element of that name marked ATTACH=YES (the disk or NIC being hot-plugged).</summary>
    public XElement? Attaching(string elementName) => Marked(elementName, "ATTACH");

    /// <summary>The template element of that name whose <paramref name="flag"/> child is YES (ATTACH, RESIZE, ACTIVE).</summary>
    public XElement? Marked(string elementName, string flag) =>
        Template?.Elements(elementName).FirstOrDefault(e =>
            string.Equals(Text(e, flag), "YES", StringComparison.OrdinalIgnoreCase));

    /// <summary>The trimmed text of a child element, or null when it is absent or empty.</summary>
    public static string? Text(XElement? parent, string child) =>
        parent?.Element(child)?.Value.Trim() is { Length: > 0 } value ? value : null;
}
