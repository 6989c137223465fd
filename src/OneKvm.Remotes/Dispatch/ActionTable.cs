using OneKvm.Remotes.Migration;
using OneKvm.Remotes.Monitoring;
using OneKvm.Remotes.Snapshots;
using OneKvm.Remotes.Live;
using OneKvm.Remotes.Checkpoints;
using OneKvm.Remotes.Lifecycle;

namespace OneKvm.Remotes.Dispatch;

/// <summary>
/// The single source of truth for what onekvm is: dispatch on argv[0], --list, the
/// help of each action, the stubs in remotes-layout/ and the package contents are
/// all derived from (and checked against) this table.
/// </summary>
internal static class ActionTable
{
    public const string BinaryName = "onekvm";
    public const string BinaryRemotesPath = "vmm/kvm/" + BinaryName;

    private const string VmmDir = "vmm/kvm/";
    private const string ActionData = "action data XML (<VMM_DRIVER_ACTION_DATA>)";
    private const string Nothing = "nothing";

    // one_vmm_exec appends these two to most actions' arguments
    private static readonly ActionParameter VmId = new ActionParameter("vm_id", "OpenNebula VM ID (appended by one_vmm_exec)").Optional();
    private static readonly ActionParameter VmHost = new ActionParameter("vm_host", "host name (appended by one_vmm_exec)").Optional();
    private static readonly ActionParameter DeployId = new ActionParameter("deploy_id", "libvirt domain name or UUID (one-<vm_id>)");
    private static readonly ActionParameter Host = new ActionParameter("host", "host the action runs on");
    private static readonly ActionParameter ActionDataBase64 = new ActionParameter("action_data_b64", "the action data, base64 (also on stdin, which is what onekvm reads)");

    public static readonly IReadOnlyList<ActionEntry> All =
    [
        Vmm("deploy", "Write the domain XML to the deployment file and create the domain.",
            [new ActionParameter("deployment_file", "where the domain XML is written on this host"), Host.Optional(), VmId, VmHost],
            "libvirt domain XML", "the domain UUID (the new DEPLOY_ID)", () => new DeployAction()),
        Vmm("shutdown", "Shut the domain down through ACPI, waiting up to SHUTDOWN_TIMEOUT.",
            [DeployId, Host.Optional(), VmId, VmHost], ActionData, Nothing, () => new ShutdownAction()),
        Vmm("cancel", "Destroy the domain and wait until it is gone; a missing domain is success.",
            [DeployId, Host.Optional(), VmId, VmHost], ActionData, Nothing, () => new CancelAction()),
        Vmm("reboot", "Ask the guest to reboot (ACPI).",
            [DeployId, Host.Optional(), VmId, VmHost], ActionData, Nothing, () => new RebootAction()),
        Vmm("reset", "Reset the domain like a power-cycle, without asking the guest.",
            [DeployId, Host.Optional(), VmId, VmHost], ActionData, Nothing, () => new ResetAction()),
        Vmm("save", "Save the domain's memory to a checkpoint file and stop it.",
            [DeployId, new ActionParameter("checkpoint_file", "where the checkpoint is written"), Host.Optional(), VmId, VmHost],
            ActionData, Nothing, () => new SaveAction()),
        Hook("save.ceph", "Hook run after save when the system datastore's TM_MAD is ceph.",
            [DeployId, new ActionParameter("checkpoint_file", "the checkpoint save wrote"), Host.Optional(), VmId, VmHost],
            () => new SaveCephAction()),
        Vmm("restore", "Restore the domain from a checkpoint file.",
            [new ActionParameter("checkpoint_file", "the checkpoint to restore"), Host, DeployId.Optional(), VmId, VmHost],
            ActionData, Nothing, () => new RestoreAction()),
        Hook("restore.ceph", "Hook run before restore when the system datastore's TM_MAD is ceph.",
            [new ActionParameter("checkpoint_file", "the checkpoint to restore"), Host, DeployId.Optional(), VmId, VmHost],
            () => new RestoreCephAction()),
        Vmm("migrate", "Live-migrate the domain to another host.",
            [DeployId, new ActionParameter("dest_host", "destination host"), new ActionParameter("src_host", "source host").Optional(), VmId, VmHost],
            ActionData, Nothing, () => new MigrateAction()),
        Vmm("migrate_local", "Live-migrate the domain, driven from the front-end.",
            [DeployId, new ActionParameter("dest_host", "destination host"), new ActionParameter("src_host", "source host"), VmId, VmHost],
            ActionData, Nothing, () => new MigrateLocalAction()),
        Vmm("attach_disk", "Hot-plug the disk marked ATTACH=YES in the action data.",
            [DeployId, new ActionParameter("disk_target_path", "path of the disk on this host"), new ActionParameter("target", "target device (vdb, sdc...)"),
             new ActionParameter("target_index", "index of the target"), ActionDataBase64.Optional(), VmId, VmHost],
            ActionData, Nothing, () => new AttachDiskAction()),
        Vmm("detach_disk", "Hot-unplug a disk by its target and check that it is gone.",
            [DeployId, new ActionParameter("disk_target_path", "path of the disk on this host"), new ActionParameter("target", "target device (vdb, sdc...)"),
             new ActionParameter("target_index", "index of the target").Optional(), VmId, VmHost],
            ActionData, Nothing, () => new DetachDiskAction()),
        Vmm("attach_nic", "Hot-plug the NIC marked ATTACH=YES in the action data.",
            [DeployId, new ActionParameter("mac", "MAC address"), new ActionParameter("bridge", "bridge name"), new ActionParameter("model", "NIC model, or - for the default"),
             new ActionParameter("vn_mad", "virtual network driver"), new ActionParameter("target", "tap device name").Optional(), VmId, VmHost],
            ActionData, Nothing, () => new AttachNicAction()),
        Vmm("detach_nic", "Hot-unplug a NIC by its MAC and wait until the guest has released it.",
            [DeployId, new ActionParameter("mac", "MAC address"), VmId, VmHost], ActionData, Nothing, () => new DetachNicAction()),
        Vmm("prereconfigure", "Eject the context CD-ROM before it is rebuilt.",
            [DeployId, new ActionParameter("context_target", "target device of the context CD-ROM"), VmId, VmHost],
            ActionData, Nothing, () => new PrereconfigureAction()),
        Vmm("reconfigure", "Insert the rebuilt context ISO into the context CD-ROM.",
            [DeployId, new ActionParameter("context_target", "target device of the context CD-ROM"), new ActionParameter("iso_path", "the context ISO"), VmId, VmHost],
            ActionData, Nothing, () => new ReconfigureAction()),
        Vmm("snapshot_create", "Create a system snapshot snap-<id> and answer its name.",
            [DeployId, new ActionParameter("snapshot_id", "OpenNebula snapshot ID"), VmId, VmHost],
            ActionData, "the snapshot name (its hypervisor id)", () => new SnapshotCreateAction()),
        Vmm("snapshot_revert", "Revert the domain to a system snapshot.",
            [DeployId, new ActionParameter("snapshot_name", "snapshot name (snap-<id>)"), VmId, VmHost], ActionData, Nothing, () => new SnapshotRevertAction()),
        Vmm("snapshot_delete", "Delete a system snapshot and its saved metadata.",
            [DeployId, new ActionParameter("snapshot_name", "snapshot name (snap-<id>)"), VmId, VmHost], ActionData, Nothing, () => new SnapshotDeleteAction()),
        Vmm("resize", "Change VCPUs and memory of a running domain.",
            [DeployId, VmId, VmHost], ActionData, Nothing, () => new ResizeAction()),
        Vmm("resize_disk", "Grow a disk of a running domain.",
            [DeployId, new ActionParameter("disk_id", "OpenNebula disk ID"), new ActionParameter("size", "new size in MiB"), ActionDataBase64.Optional(),
             Host.Optional(), VmId, VmHost],
            ActionData, Nothing, () => new ResizeDiskAction()),
        Vmm("poll", "Report one domain's state and usage (legacy VMM poll).",
            [DeployId, Host.Optional(), VmId, VmHost], ActionData, "STATE=... CPU=... MEMORY=... NETRX=... NETTX=...", () => new PollAction()),
        Vmm("exec", "Run VM/TEMPLATE/QEMU_GA_EXEC/COMMAND in the guest through its QEMU guest agent (no shell).",
            [new ActionParameter("vm_id", "OpenNebula VM ID (domain one-<vm_id>)"), Host,
             new ActionParameter("command", "the command line, split into words like a POSIX shell, nothing expanded"),
             new ActionParameter("stdin", "the command's input, base64 (else QEMU_GA_EXEC/STDIN of the action data)").Optional()],
            ActionData, Nothing, () => new Guest.ExecAction()),
        Vmm("exec_cancel", "End the command exec started in the guest; none running is success.",
            [new ActionParameter("vm_id", "OpenNebula VM ID, appended by one_vmm_exec (domain one-<vm_id>)"), Host.Optional()],
            ActionData, Nothing, () => new Guest.ExecCancelAction()),
        Probe("vm_monitor", "im/kvm-probes.d/vm/monitor/vm_monitor",
            "Monitor probe: usage of every OpenNebula VM on this host, from one domstats call.",
            "VM = [ ID=..., DEPLOY_ID=..., MONITOR=<base64> ] per VM", () => new VmMonitorProbe()),
        Probe("vm_state", "im/kvm-probes.d/vm/status/vm_state",
            "State probe: the state of every OpenNebula VM on this host that changed.",
            "VM = [ ID=..., DEPLOY_ID=..., STATE=... ] per VM", () => new VmStateProbe()),
        Probe("vm_execution", "im/kvm-probes.d/vm/execution/vm_execution",
            "Execution probe: the result of every guest command exec started that has ended.",
            "VM = [ ID=..., PID=..., STATUS=\"DONE\", RETURN_CODE=..., STDOUT=<base64>, STDERR=<base64> ] per VM", () => new Guest.ExecutionProbe()),
        RootHelper("vtpm_setup", "vtpm_setup", "src/vmm_mad/remotes/kvm/vtpm_setup",
            "Root helper (sudo): recover puts <vm_dir>/tpm into libvirt's swtpm state of the domain; backup copies that state back.",
            [new ActionParameter("action", "recover (before deploy) or backup (before shutdown)"), new ActionParameter("uuid", "the domain's UUID"),
             new ActionParameter("vm_dir", "the VM directory, <datastores>/<datastore id>/<vm id>")],
            () => new RootHelpers.VtpmSetupAction()),
        RootHelper("vgpu", "vgpu", "src/vmm_mad/remotes/kvm/vgpu",
            "Root helper (sudo): CREATE/DELETE the NVIDIA vGPUs (mediated devices) of vm.xml; DATASTORE prints a domain's VM directory.",
            [new ActionParameter("action", "CREATE (before deploy), DELETE (after the domain stopped) or DATASTORE"),
             new ActionParameter("vm", "<datastores>/<datastore id>/<vm id>/vm.xml, or the deploy id for DATASTORE")],
            () => new RootHelpers.VgpuAction()),
        RootHelper("virtiofsd.sh", VmmDir + "virtiofsd.sh", "src/vmm_mad/remotes/kvm/virtiofsd.sh",
            "Root helper (libvirt): runs the virtiofsd of VIRTIOFSD_BINARY_PATH with libvirt's arguments, sharing a directory below the datastores.",
            [], () => new RootHelpers.VirtiofsdAction()),
        new(BinaryName, EntryKind.Tool, BinaryRemotesPath,
            "The multicall binary: onekvm --list, onekvm kvmrc, onekvm <action> args...",
            [], Nothing, "the table or the settings", null),
    ];

    private static readonly Dictionary<string, ActionEntry> ByName = All.ToDictionary(e => e.Name, StringComparer.Ordinal);

    public static ActionEntry? Find(string name) => ByName.GetValueOrDefault(name);

    public static ActionEntry Tool => ByName[BinaryName];

    private static ActionEntry Vmm(string name, string summary, ActionParameter[] parameters, string stdin,
        string answer, Func<IDriverAction>? create) =>
        new(name, EntryKind.VmmAction, VmmDir + name, summary, parameters, stdin, answer, create);

    private static ActionEntry Hook(string name, string summary, ActionParameter[] parameters, Func<IDriverAction>? create) =>
        new(name, EntryKind.DatastoreHook, VmmDir + name, summary, parameters, ActionData, Nothing, create);

    // runs as root: its row names the upstream file the package diverts for it
    private static ActionEntry RootHelper(string name, string path, string replaces, string summary, ActionParameter[] parameters,
        Func<IDriverAction> create) =>
        new(name, EntryKind.RootHelper, path, summary, parameters, Nothing, Nothing, create) { Replaces = replaces };

    // the monitor client puts its own arguments first: probes take the last two (Monitoring/ProbeArguments.cs)
    private static ActionEntry Probe(string name, string path, string summary, string answer, Func<IDriverAction>? create) =>
        new(name, EntryKind.Probe, path, summary,
            [new ActionParameter("host_id", "OpenNebula host ID").Optional(), new ActionParameter("host", "host name").Optional()],
            "probe configuration from the monitor daemon", answer, create);
}
