namespace OneKvm.Remotes.Virsh;

/// <summary>
/// What one action reads of a domain (through <see cref="VirshDomain"/>), each at most once however many steps need it:
/// shutdown's up-and-ACPI check, vTPM backup and vGPU release, and the cancel it may end
/// in, share one dumpxml and one metadata call.
/// </summary>
internal sealed class DomainReadings(VirshRunner virsh, KvmSettings settings, string domain)
{
    private XElement? _xml;
    private (string? Directory, bool Read) _vmDirectory;

    public string Domain => domain;

    /// <summary>The live domain XML; a failure is the action's.</summary>
    public async Task<XElement> XmlAsync(CancellationToken cancellationToken) =>
        _xml ??= await virsh.Domain(domain).XmlAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>The live domain XML, or null when there is no such domain; any other failure is the action's.</summary>
    public async Task<XElement?> XmlIfDefinedAsync(CancellationToken cancellationToken) =>
        _xml ??= await virsh.Domain(domain).XmlIfDefinedAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Only an active domain's XML carries the id libvirt gave it; a shut-off one's has none.</summary>
    public static bool IsActive(XElement domainXml) => domainXml.Attribute("id") is not null;

    /// <summary>The VM directory from OpenNebula's metadata, or null without one; a VirshException when it cannot be read.</summary>
    public async Task<string?> VmDirectoryAsync(CancellationToken cancellationToken)
    {
        if (!_vmDirectory.Read)
        {
            _vmDirectory = (await virsh.Domain(domain).SystemDatastoreAsync(settings, cancellationToken).ConfigureAwait(false), true);
        }
        return _vmDirectory.Directory;
    }
}
