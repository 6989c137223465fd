namespace OneKvm.Remotes.Live.Devices;

/// <summary>
/// The libvirt &lt;disk&gt; of the DISK being hot-plugged, with upstream's mapping of every
/// attribute and the DEFAULT_ATTACH_* of kvmrc for what the disk does not set.
/// <see cref="Read"/> checks everything (so a bad value fails before libvirt is asked
/// anything); only the iothread, which depends on the running domain, is left to
/// <see cref="ToXml"/>.
/// </summary>
internal sealed class DiskDefinition
{
    private readonly DiskSource _source;
    private readonly string _driver;
    private readonly string _cache;
    private readonly string? _io;
    private readonly string? _discard;
    private readonly long? _queues;
    private readonly long? _iothread;
    private readonly long? _diskId;
    private readonly long? _order;
    private readonly bool _readOnly;
    private readonly bool _shareable;
    private readonly string? _luksSecret;
    private readonly XElement? _iotune;
    private readonly string? _serial;

    private DiskDefinition(TemplateVector disk, TemplateVector? template, string? vmId, string path, string target, KvmSettings settings)
    {
        Target = target;
        _source = DiskSource.Resolve(disk, vmId, path);
        // QEMU reads a CD-ROM image as raw whatever the image says
        _driver = disk.Text("TYPE")?.ToLowerInvariant() == "cdrom" ? "raw" : disk.Text("DRIVER") ?? "raw";
        _cache = disk.Text("CACHE") ?? settings.DefaultAttachCache ?? "default";
        _io = disk.Text("IO") ?? settings.DefaultAttachIo;
        _discard = disk.Text("DISCARD") ?? settings.DefaultAttachDiscard;
        _diskId = disk.WholeNumber("DISK_ID");
        _order = disk.WholeNumber("ORDER", min: 1);
        _readOnly = disk.IsYes("READONLY");
        _shareable = disk.IsYes("SHAREABLE");
        _luksSecret = disk.Text("LUKS_SECRET");
        // every value is checked, also those the rules end up not writing
        foreach (var attribute in KvmrcParameters.IoTuneAttributes)
        {
            _ = disk.WholeNumber(attribute);
        }
        _iotune = IoTune.Build(name => disk.WholeNumber(name), settings.DefaultAttachIoTune);
        _serial = Sanitize(disk.Text("SERIAL"));
        UsesVirtioBlk = _source.Device == "disk" && target.StartsWith("vd", StringComparison.Ordinal);
        if (UsesVirtioBlk)
        {
            _iothread = disk.WholeNumber("IOTHREAD") ?? settings.DefaultAttachVirtioBlkIothread;
            _queues = Queues(disk, template, settings);
        }
    }

    public string Target { get; }

    /// <summary>A virtio-blk disk (vd*): it takes queues and an iothread of the domain, if it has iothreads.</summary>
    public bool UsesVirtioBlk { get; }

    /// <param name="disk">The DISK element (VM/TEMPLATE/DISK[ATTACH=YES]).</param>
    /// <param name="template">VM/TEMPLATE, for VCPU and FEATURES/VIRTIO_BLK_QUEUES.</param>
    /// <param name="path">Where the disk is on this host (the disk_target_path argument).</param>
    public static DiskDefinition Read(XElement disk, XElement? template, string? vmId, string path, string target,
        KvmSettings settings) =>
        new(new TemplateVector(disk, "the DISK being attached"),
            template is null ? null : new TemplateVector(template, "the VM template"), vmId, path, target, settings);

    /// <param name="domainIoThreads">How many iothreads the running domain has (0: none).</param>
    public XElement ToXml(int domainIoThreads) =>
        new("disk", new XAttribute("type", _source.Type), new XAttribute("device", _source.Device),
            new XElement("driver",
                new XAttribute("name", "qemu"),
                new XAttribute("type", _driver),
                new XAttribute("cache", _cache),
                XmlParts.Attribute("io", _io),
                XmlParts.Attribute("discard", _discard),
                XmlParts.Attribute("iothread", UsesVirtioBlk ? IoThread(domainIoThreads, _iothread, _diskId) : null),
                XmlParts.Attribute("queues", _queues)),
            _source.Source,
            _source.Auth,
            new XElement("target", new XAttribute("dev", Target)),
            _order is null ? null : new XElement("boot", new XAttribute("order", _order)),
            _readOnly ? new XElement("readonly") : null,
            _shareable ? new XElement("shareable") : null,
            _luksSecret is null
                ? null
                : new XElement("encryption", new XAttribute("format", "luks"),
                    new XElement("secret", new XAttribute("type", "passphrase"), new XAttribute("uuid", _luksSecret))),
            _iotune,
            ScsiTargetNumber(Target) is { } scsi
                ? new XElement("address", new XAttribute("type", "drive"), new XAttribute("controller", 0),
                    new XAttribute("bus", 0), new XAttribute("target", scsi), new XAttribute("unit", 0))
                : null,
            _serial is null ? null : new XElement("serial", _serial));

    /// <summary>
    /// Upstream's choice: the iothread the disk (or DEFAULT_ATTACH_VIRTIO_BLK_IOTHREAD)
    /// names when above 0, else one picked from the disk id, never above the domain's
    /// count; none when the domain has no iothreads.
    /// </summary>
    public static long? IoThread(int domainIoThreads, long? wanted, long? diskId) =>
        domainIoThreads <= 0
            ? null
            : Math.Min(wanted > 0 ? wanted.Value : diskId is { } d ? d % domainIoThreads + 1 : 1, domainIoThreads);

    /// <summary>
    /// The SCSI target number of an sd* name, counted like spreadsheet columns
    /// (sda = 0, sdz = 25, sdaa = 26), so that a hot-plugged SCSI disk lands where its
    /// name says; null for other names and numbers outside 0-255.
    /// </summary>
    public static int? ScsiTargetNumber(string target)
    {
        if (!target.StartsWith("sd", StringComparison.Ordinal) || target.Length == 2)
        {
            return null;
        }
        var number = 0;
        foreach (var c in target.AsSpan(2))
        {
            if (c is < 'a' or > 'z')
            {
                return null;
            }
            number = number * 26 + (c - 'a' + 1);
            if (number > 256)
            {
                return null;
            }
        }
        return number - 1 < 256 ? number - 1 : null;
    }

    /// <summary>Upstream keeps letters, digits, '-', '.' and '_' of SERIAL.</summary>
    public static string? Sanitize(string? serial) =>
        new string((serial ?? "").Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_').ToArray()) is { Length: > 0 } kept
            ? kept
            : null;

    /// <summary>The disk's VIRTIO_BLK_QUEUES, the VM's, then kvmrc's; "auto" is one queue per VCPU.</summary>
    private static long? Queues(TemplateVector disk, TemplateVector? template, KvmSettings settings)
    {
        var features = template?.Element.Element("FEATURES") is { } f ? new TemplateVector(f, "the VM's FEATURES") : null;
        var (owner, value) = disk.Text("VIRTIO_BLK_QUEUES") is { } own
            ? (disk, own)
            : features?.Text("VIRTIO_BLK_QUEUES") is { } vm
                ? (features, vm)
                : (null, settings.DefaultAttachVirtioBlkQueues);
        return value switch
        {
            null => null,
            _ when string.Equals(value, "auto", StringComparison.OrdinalIgnoreCase) => template?.WholeNumber("VCPU", min: 1) ?? 1,
            // kvmrc's value was checked when read
            _ when owner is null => long.Parse(value, CultureInfo.InvariantCulture),
            _ => owner.WholeNumber("VIRTIO_BLK_QUEUES", min: 1),
        };
    }
}
