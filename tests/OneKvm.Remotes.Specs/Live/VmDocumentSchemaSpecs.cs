using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using OneKvm.Remotes.TestDocuments;
using Xunit;
using static OneKvm.Remotes.Specs.Live.LiveKit;

namespace OneKvm.Remotes.Specs.Live;

/// <summary>
/// The action data of the live specs follows OpenNebula's vm.xsd (a copy in
/// tests/reference):, and the VM element is
/// validated in the schema's namespace (oned writes it without one).
/// </summary>
public sealed class VmDocumentSchemaSpecs
{
    private const string Namespace = "http://opennebula.org/XMLSchema";

    public static TheoryData<string> Documents => new()
    {
        "disk", "nic", "pci", "features",
    };

    private static VmDocument Document(string name) => name switch
    {
        "disk" => VmDocument.Create(7).With(Disk(("TYPE", "RBD"), ("CEPH_HOST", "mon1"), ("TOTAL_BYTES_SEC", 1))),
        "nic" => VmDocument.Create(7).With(Nic(("BRIDGE", "br0"))),
        "pci" => VmDocument.Create(7).With(VmDocument.Vector("PCI", ("ATTACH", "YES"), ("DOMAIN", "0000"), ("BUS", "05"), ("SLOT", "02"), ("FUNCTION", "0"))),
        _ => VmDocument.Create(7).WithTemplateValue("VCPU", 2).WithTemplateValue("MEMORY_RESIZE_MODE", "HOTPLUG")
            .With(VmDocument.Vector("FEATURES", ("VIRTIO_BLK_QUEUES", "auto")), Disk(), Nic()),
    };

    [Theory]
    [MemberData(nameof(Documents))]
    public void The_vm_of_the_action_data_is_valid_against_vm_xsd(string name)
    {
        var schemas = new XmlSchemaSet { XmlResolver = new XmlUrlResolver() };
        _ = ReferenceDocuments.Path("shared.xsd"); // vm.xsd includes it from its own directory
        schemas.Add(Namespace, ReferenceDocuments.Path("vm.xsd"));
        var vm = InNamespace(Document(name).Vm());
        var errors = new List<string>();

        new XDocument(vm).Validate(schemas, (_, e) => errors.Add(e.Message));

        Assert.Empty(errors);
    }

    private static XElement InNamespace(XElement element)
    {
        XNamespace ns = Namespace;
        var copy = new XElement(element);
        foreach (var e in copy.DescendantsAndSelf())
        {
            e.Name = ns + e.Name.LocalName;
        }
        return copy;
    }
}
