using System.Xml.Linq;
using OneKvm.Remotes.Kvmrc;
using OneKvm.Remotes.TestDocuments;
using OneKvm.Remotes.Xml;
using OneKvm.Remotes.Live.Devices;

namespace OneKvm.Remotes.Specs.Live;

/// <summary>What the live-action specs share: kvmrc settings from text and the devices of an action data document.</summary>
internal static class LiveKit
{
    /// <summary>The kvmrc onekvm ships (remotes-layout/etc/vmm/kvm/kvmrc) sets these attach defaults.</summary>
    public const string ShippedAttachDefaults = "DEFAULT_ATTACH_CACHE=none\nDEFAULT_ATTACH_DISCARD=unmap\nDEFAULT_ATTACH_NIC_MODEL=virtio\n";

    public static KvmSettings Settings(string kvmrc = "") =>
        new(KvmrcParser.Parse("kvmrc", kvmrc, _ => null), _ => null);

    /// <summary>The action data as onekvm reads it from stdin.</summary>
    public static ActionData Parse(VmDocument vm) => ActionData.Parse(vm.ActionData().ToString());

    /// <summary>The &lt;disk&gt; attach_disk would hand libvirt for the DISK with ATTACH=YES.</summary>
    public static XElement DiskXml(VmDocument vm, string kvmrc = "", string path = "/var/lib/one/datastores/0/42/disk.1",
        string target = "vdb", int domainIoThreads = 0)
    {
        var data = Parse(vm);
        return DiskDefinition.Read(data.Attaching("DISK")!, data.Template, data.VmId, path, target, Settings(kvmrc)).ToXml(domainIoThreads);
    }

    /// <summary>The &lt;interface&gt; attach_nic would hand libvirt for the NIC with ATTACH=YES.</summary>
    public static XElement NicXml(VmDocument vm, string kvmrc = "")
    {
        var data = Parse(vm);
        return NicDefinition.Read(data.Attaching("NIC")!, data.Template, null, Settings(kvmrc)).ToXml();
    }

    public static XElement Disk(params (string Name, object? Value)[] attributes) =>
        VmDocument.Vector("DISK", [("ATTACH", "YES"), ("DISK_ID", 1), .. attributes]);

    public static XElement Nic(params (string Name, object? Value)[] attributes) =>
        VmDocument.Vector("NIC", [("ATTACH", "YES"), ("MAC", "02:00:0a:00:00:05"), ("NIC_ID", 1), .. attributes]);
}
