namespace OneKvm.Remotes.Live.Devices;

/// <summary>
/// The libvirt &lt;interface&gt; of the NIC being hot-plugged, mapped as upstream does:
/// a bridge (Linux, Open vSwitch or OVS-DPDK vhost-user) when the NIC has a BRIDGE and
/// is not in dummy NETWORK_MODE, otherwise an ethernet (tap) interface; MODEL and
/// FILTER default to DEFAULT_ATTACH_NIC_MODEL / _FILTER of kvmrc.
/// </summary>
internal sealed class NicDefinition
{
    /// <summary>Where OpenNebula's OVS-DPDK vhost-user sockets live (VirtualNetwork.h).</summary>
    public const string VhostSocketDirectory = "/var/run/one/vhost-socks";

    private static readonly string[] Directions = ["INBOUND", "OUTBOUND"];
    private static readonly string[] BandwidthSuffixes = ["AVG_BW", "PEAK_BW", "PEAK_KB"];

    private readonly TemplateVector _nic;
    private readonly string? _model;
    private readonly string? _filter;
    private readonly long? _queues;
    private readonly long? _order;

    private NicDefinition(TemplateVector nic, TemplateVector? template, string? macArgument, KvmSettings settings)
    {
        _nic = nic;
        Mac = MacAddress.Require(nic.Text("MAC") ?? macArgument, nic.Has("MAC") ? "of the NIC being attached" : "given as argument");
        _model = nic.Text("MODEL") ?? settings.DefaultAttachNicModel;
        _filter = nic.Text("FILTER") ?? settings.DefaultAttachNicFilter;
        _order = nic.WholeNumber("ORDER", min: 1);
        _queues = string.Equals(nic.Text("VIRTIO_QUEUES"), "auto", StringComparison.OrdinalIgnoreCase)
            ? template?.WholeNumber("VCPU", min: 1) ?? 1
            : nic.WholeNumber("VIRTIO_QUEUES", min: 1);
        foreach (var name in Directions.SelectMany(direction => BandwidthSuffixes.Select(suffix => $"{direction}_{suffix}")))
        {
            _ = nic.WholeNumber(name);
        }
        Type = nic.Has("BRIDGE") && !IsDummy
            ? nic.Text("BRIDGE_TYPE") == "openvswitch_dpdk" ? "vhostuser" : "bridge"
            : "ethernet";
        if (Type == "vhostuser" && !nic.Has("TARGET"))
        {
            throw new OneKvmException($"{nic.Subject} is an OVS-DPDK NIC without a TARGET, which names its vhost-user socket.");
        }
    }

    public string Mac { get; }

    /// <summary>The libvirt interface type: bridge, vhostuser or ethernet.</summary>
    public string Type { get; }

    private bool IsDummy => string.Equals(_nic.Text("NETWORK_MODE"), "dummy", StringComparison.OrdinalIgnoreCase);

    /// <param name="macArgument">The mac argument, used only when the NIC has no MAC of its own.</param>
    public static NicDefinition Read(XElement nic, XElement? template, string? macArgument, KvmSettings settings) =>
        new(new TemplateVector(nic, "the NIC being attached"),
            template is null ? null : new TemplateVector(template, "the VM template"), macArgument, settings);

    public XElement ToXml() =>
        new("interface", new XAttribute("type", Type),
            Type switch
            {
                "vhostuser" => new XElement("source", new XAttribute("type", "unix"), new XAttribute("mode", "server"),
                    new XAttribute("path", $"{VhostSocketDirectory}/{_nic.Text("TARGET")}")),
                "bridge" => new object?[]
                {
                    _nic.Text("BRIDGE_TYPE") == "openvswitch" ? new XElement("virtualport", new XAttribute("type", "openvswitch")) : null,
                    new XElement("source", new XAttribute("bridge", _nic.Text("BRIDGE")!)),
                },
                _ => null,
            },
            new XElement("mac", new XAttribute("address", Mac)),
            Child("script", "path", _nic.Text("SCRIPT")),
            Child("target", "dev", _nic.Text("TARGET")),
            Child("boot", "order", _order),
            Child("model", "type", _model),
            _model == "virtio" && _queues is not null
                ? new XElement("driver", new XAttribute("name", "vhost"), new XAttribute("queues", _queues))
                : null,
            FilterRef(),
            Bandwidth());

    private XElement? FilterRef()
    {
        return _filter is null || _nic.Text("IP") is not { } ip
            ? null
            : new XElement("filterref", new XAttribute("filter", _filter),
                Parameter("IP", ip),
                _nic.Text("VROUTER_IP") is { } vrouter ? Parameter("IP", vrouter) : null);

        static XElement Parameter(string name, string value) =>
            new("parameter", new XAttribute("name", name), new XAttribute("value", value));
    }

    private XElement? Bandwidth()
    {
        var limits = Directions
            .Select(direction => BandwidthSuffixes.Any(s => _nic.Has($"{direction}_{s}"))
                ? new XElement(direction.ToLowerInvariant(),
                    XmlParts.Attribute("average", _nic.Text($"{direction}_AVG_BW")),
                    XmlParts.Attribute("peak", _nic.Text($"{direction}_PEAK_BW")),
                    XmlParts.Attribute("burst", _nic.Text($"{direction}_PEAK_KB")))
                : null)
            .OfType<XElement>()
            .ToList();
        return limits.Count > 0 ? new XElement("bandwidth", limits) : null;
    }

    private static XElement? Child(string name, string attribute, object? value) =>
        value is null ? null : new XElement(name, new XAttribute(attribute, value));
}
