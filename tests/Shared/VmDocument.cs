using System.Collections.Immutable;
using System.Xml.Linq;

namespace OneKvm.Remotes.TestDocuments;

/// <summary>
/// The action data one_vmm_exec writes on stdin: &lt;VMM_DRIVER_ACTION_DATA&gt; around a
/// &lt;VM&gt; that has every element tests/reference/vm.xsd requires, in its order
/// (VmDocumentSchemaSpecs checks that against the schema). Tests add the template
/// vectors they are about: DISK, NIC, PCI, RESIZE...
/// </summary>
public sealed record VmDocument
{
    /// <summary>The order of TEMPLATE's children in vm.xsd; RESIZE, which oned sends for resize, is not in it.</summary>
    private static readonly string[] TemplateOrder =
    [
        "AUTOMATIC_DS_REQUIREMENTS", "AUTOMATIC_NIC_REQUIREMENTS", "AUTOMATIC_REQUIREMENTS", "CLONING_TEMPLATE_ID",
        "CONTEXT", "CPU", "CPU_COST", "DISK", "DISK_COST", "EMULATOR", "FEATURES", "HYPERV_OPTIONS", "GRAPHICS", "VIDEO",
        "IMPORTED", "INPUT", "MEMORY", "MEMORY_COST", "MEMORY_MAX", "MEMORY_SLOTS", "MEMORY_RESIZE_MODE", "NIC",
        "NIC_ALIAS", "NIC_DEFAULT", "NUMA_NODE", "OS", "PCI", "QEMU_GA_EXEC", "RAW", "SECURITY_GROUP_RULE", "SNAPSHOT",
        "SPICE_OPTIONS", "SUBMIT_ON_HOLD", "TEMPLATE_ID", "TM_MAD_SYSTEM", "TOPOLOGY", "TPM", "MEMORY_ENCRYPTION",
        "VCPU", "VCPU_MAX", "VMGROUP", "VMID", "VROUTER_ID", "VROUTER_KEEPALIVED_ID", "VROUTER_KEEPALIVED_PASSWORD",
        "SCHED_ACTION", "RESIZE",
    ];

    public int Id { get; init; } = 42;

    public string? DeployId { get; init; }

    public string Host { get; init; } = "kvm-host-1";

    public ImmutableList<XElement> Template { get; init; } =
    [
        new("CPU", "1"),
        new("MEMORY", "256"),
        new("TM_MAD_SYSTEM", "ssh"),
        new("VCPU", "1"),
    ];

    public static VmDocument Create(int id = 42, string? deployId = null) =>
        new() { Id = id, DeployId = deployId ?? $"one-{id}" };

    /// <summary>A template vector such as DISK or NIC; a later value of an attribute replaces an earlier one, null removes it.</summary>
    public static XElement Vector(string name, params (string Name, object? Value)[] attributes)
    {
        var values = new List<(string Name, object? Value)>();
        foreach (var attribute in attributes)
        {
            values.RemoveAll(v => v.Name == attribute.Name);
            values.Add(attribute);
        }
        return new XElement(name, values.Where(a => a.Value is not null).Select(a => new XElement(a.Name, a.Value)));
    }

    /// <summary>Adds template elements, or replaces the single-valued ones (VCPU, MEMORY, ...).</summary>
    public VmDocument With(params XElement[] elements)
    {
        var template = Template;
        foreach (var element in elements)
        {
            if (element.Name.LocalName is not ("DISK" or "NIC" or "NIC_ALIAS" or "PCI" or "SNAPSHOT" or "SCHED_ACTION" or "SECURITY_GROUP_RULE"))
            {
                template = template.RemoveAll(e => e.Name == element.Name);
            }
            template = template.Add(element);
        }
        return this with { Template = template };
    }

    public VmDocument WithTemplateValue(string name, object value) => With(new XElement(name, value));

    public XElement Vm() =>
        new("VM",
            new XElement("ID", Id), new XElement("UID", 0), new XElement("GID", 0),
            new XElement("UNAME", "oneadmin"), new XElement("GNAME", "oneadmin"), new XElement("NAME", $"vm-{Id}"),
            new XElement("PERMISSIONS", new[] { "OWNER_U", "OWNER_M", "OWNER_A", "GROUP_U", "GROUP_M", "GROUP_A", "OTHER_U", "OTHER_M", "OTHER_A" }
                .Select((p, i) => new XElement(p, i < 2 ? 1 : 0))),
            new XElement("LAST_POLL", 0), new XElement("STATE", 3), new XElement("LCM_STATE", 3),
            new XElement("PREV_STATE", 3), new XElement("PREV_LCM_STATE", 3), new XElement("RESCHED", 0),
            new XElement("STIME", 1_700_000_000), new XElement("ETIME", 0), new XElement("DEPLOY_ID", DeployId ?? $"one-{Id}"),
            new XElement("MONITORING"),
            new XElement("SCHED_ACTIONS"),
            new XElement("TEMPLATE",
                Template.Add(new XElement("VMID", Id)).Select((e, i) => (e, i)).OrderBy(x => Order(x.e)).ThenBy(x => x.i)
                    .Select(x => new XElement(x.e))),
            new XElement("USER_TEMPLATE"),
            new XElement("HISTORY_RECORDS", History()),
            new XElement("BACKUPS", new XElement("BACKUP_CONFIG"), new XElement("BACKUP_IDS")));

    /// <summary>The whole stdin of an action.</summary>
    public XElement ActionData(string? diskTargetPath = null) =>
        new("VMM_DRIVER_ACTION_DATA",
            new XElement("HOST", Host),
            new XElement("MIGR_HOST"),
            new XElement("DEPLOY_ID", DeployId ?? $"one-{Id}"),
            new XElement("LOCAL_DEPLOYMENT_FILE"),
            new XElement("REMOTE_DEPLOYMENT_FILE"),
            new XElement("CHECKPOINT_FILE"),
            new XElement("TM_COMMAND"),
            new XElement("DISK_TARGET_PATH", diskTargetPath),
            Vm(),
            new XElement("DATASTORE", new XElement("ID", 0), new XElement("NAME", "system"), new XElement("TM_MAD", "ssh")));

    public override string ToString() => ActionData().ToString();

    private static int Order(XElement element)
    {
        var index = Array.IndexOf(TemplateOrder, element.Name.LocalName);
        return index < 0 ? int.MaxValue : index;
    }

    private XElement History() =>
        new("HISTORY",
            new XElement("OID", Id), new XElement("SEQ", 0), new XElement("HOSTNAME", Host), new XElement("HID", 0),
            new XElement("CID", 0), new XElement("STIME", 1_700_000_000), new XElement("ETIME", 0),
            new XElement("VM_MAD", "kvm"), new XElement("TM_MAD", "ssh"), new XElement("DS_ID", 0),
            new XElement("PLAN_ID", -1), new XElement("ACTION_ID", -1),
            new XElement("PSTIME", 0), new XElement("PETIME", 0), new XElement("RSTIME", 1_700_000_000), new XElement("RETIME", 0),
            new XElement("ESTIME", 0), new XElement("EETIME", 0), new XElement("ACTION", 0),
            new XElement("UID", -1), new XElement("GID", -1), new XElement("REQUEST_ID", -1));
}
