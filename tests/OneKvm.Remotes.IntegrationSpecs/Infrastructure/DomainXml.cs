using System.Xml.Linq;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// Domain XML for test domains, built with XLinq. Diskless ones sit in the BIOS
/// and start in well under a second; the tiny guest runs a real Linux kernel.
/// </summary>
public sealed record DomainXml
{
    private DomainXml(XElement domain) => Domain = domain;

    public XElement Domain { get; private init; }

    public string Name => (string)Domain.Element("name")!;

    /// <summary>A diskless domain sitting in the BIOS: no guest OS, so ACPI requests are ignored.</summary>
    public static DomainXml Diskless(string name, string type = "kvm") => new(
        new XElement("domain", new XAttribute("type", type),
            new XElement("name", name),
            new XElement("description", TestNames.Description),
            new XElement("memory", new XAttribute("unit", "MiB"), 64),
            new XElement("vcpu", 1),
            new XElement("os", new XElement("type", new XAttribute("arch", "x86_64"), new XAttribute("machine", "pc"), "hvm")),
            new XElement("features", new XElement("acpi")),
            new XElement("on_poweroff", "destroy"),
            new XElement("on_reboot", "restart"),
            new XElement("on_crash", "destroy"),
            new XElement("devices",
                new XElement("controller", new XAttribute("type", "usb"), new XAttribute("model", "none")),
                new XElement("memballoon", new XAttribute("model", "none")))));

    /// <summary>The tiny Linux guest of tests/guest (TCG: nested KVM boots a kernel too slowly).</summary>
    public static DomainXml TinyGuest(string name, string consoleFile, string extraCmdline = "", int memoryMiB = 256, int maxVcpus = 2)
    {
        var kernel = Path.Combine(TestPaths.GuestDirectory, "vmlinuz");
        var initrd = Path.Combine(TestPaths.GuestDirectory, "initrd.img");
        return new(
            new XElement("domain", new XAttribute("type", "qemu"),
                new XElement("name", name),
                new XElement("description", TestNames.Description),
                new XElement("memory", new XAttribute("unit", "MiB"), memoryMiB),
                new XElement("currentMemory", new XAttribute("unit", "MiB"), memoryMiB),
                new XElement("vcpu", new XAttribute("placement", "static"), new XAttribute("current", 1), maxVcpus),
                new XElement("os",
                    new XElement("type", new XAttribute("arch", "x86_64"), new XAttribute("machine", "pc"), "hvm"),
                    new XElement("kernel", kernel),
                    new XElement("initrd", initrd),
                    // no_timer_check: under heavy load the kernel otherwise panics ("IO-APIC + timer doesn't work")
                    new XElement("cmdline", ("console=ttyS0 quiet no_timer_check " + extraCmdline).Trim())),
                new XElement("features", new XElement("acpi")),
                new XElement("clock", new XAttribute("offset", "utc")),
                new XElement("on_poweroff", "destroy"),
                new XElement("on_reboot", "restart"),
                new XElement("on_crash", "destroy"),
                new XElement("devices",
                    new XElement("controller", new XAttribute("type", "usb"), new XAttribute("model", "none")),
                    // append: a restore or a new QEMU process must not truncate what the test reads
                    new XElement("serial", new XAttribute("type", "file"),
                        new XElement("source", new XAttribute("path", consoleFile), new XAttribute("append", "on")),
                        new XElement("target", new XAttribute("port", 0))),
                    new XElement("video", new XElement("model", new XAttribute("type", "none"))),
                    new XElement("memballoon", new XAttribute("model", "virtio")))));
    }

    public DomainXml WithName(string name) => Transform(d => d.Element("name")!.Value = name);

    public DomainXml WithoutAcpi() => Transform(d => d.Element("features")?.Element("acpi")?.Remove());

    /// <summary>Adds a device element (disk, interface, ...) under &lt;devices&gt;.</summary>
    public DomainXml WithDevice(XElement device) => Transform(d => d.Element("devices")!.Add(device));

    /// <summary>Adds an element under &lt;domain&gt; (metadata, iothreads, ...).</summary>
    public DomainXml WithElement(XElement element) => Transform(d => d.Add(element));

    public DomainXml Transform(Action<XElement> change)
    {
        var copy = new XElement(Domain);
        change(copy);
        return this with { Domain = copy };
    }

    public override string ToString() => Domain.ToString();
}
