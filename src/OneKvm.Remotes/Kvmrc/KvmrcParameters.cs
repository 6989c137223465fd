namespace OneKvm.Remotes.Kvmrc;

/// <summary>How a kvmrc value is read; each kind has one validator in <see cref="KvmSettings"/>.</summary>
internal enum ParameterKind
{
    Text,
    Seconds,
    Count,
    YesNo,
    Words,
    DiskCache,
    DiskDiscard,
    DiskIo,
    IoTune,
    QueuesOrAuto,
    IoThread,
}

/// <summary>A parameter the driver reads from kvmrc, with upstream's default when unset.</summary>
internal sealed record KvmrcParameter(string Name, ParameterKind Kind, string? Default, string Description);

/// <summary>
/// Every parameter of the driver guide's "Files and Parameters" table and of the
/// upstream kvmrc. Defaults are what upstream's scripts do when the variable is unset
/// (not what the shipped kvmrc sets): e.g. SYNC_TIME and CLEANUP_MEMORY_ON_STOP are
/// compared with "yes", so unset means no.
/// </summary>
internal static class KvmrcParameters
{
    public const string LibvirtUri = "LIBVIRT_URI";
    public const string QemuProtocol = "QEMU_PROTOCOL";
    public const string ShutdownTimeout = "SHUTDOWN_TIMEOUT";
    public const string VirshRetries = "VIRSH_RETRIES";
    public const string VirshTimeout = "VIRSH_TIMEOUT";
    public const string SyncTime = "SYNC_TIME";
    public const string ForceDestroy = "FORCE_DESTROY";
    public const string CancelNoAcpi = "CANCEL_NO_ACPI";
    public const string MigrateOptions = "MIGRATE_OPTIONS";
    public const string CleanupMemoryOnStart = "CLEANUP_MEMORY_ON_START";
    public const string CleanupMemoryOnStop = "CLEANUP_MEMORY_ON_STOP";
    public const string LibvirtMdUri = "LIBVIRT_MD_URI";
    public const string LibvirtMdKey = "LIBVIRT_MD_KEY";
    public const string OvmfNvram = "OVMF_NVRAM";
    public const string VirtiofsdBinaryPath = "VIRTIOFSD_BINARY_PATH";
    public const string DefaultAttachCache = "DEFAULT_ATTACH_CACHE";
    public const string DefaultAttachDiscard = "DEFAULT_ATTACH_DISCARD";
    public const string DefaultAttachIo = "DEFAULT_ATTACH_IO";
    public const string DefaultAttachVirtioBlkQueues = "DEFAULT_ATTACH_VIRTIO_BLK_QUEUES";
    public const string DefaultAttachVirtioBlkIothread = "DEFAULT_ATTACH_VIRTIO_BLK_IOTHREAD";
    public const string DefaultAttachNicModel = "DEFAULT_ATTACH_NIC_MODEL";
    public const string DefaultAttachNicFilter = "DEFAULT_ATTACH_NIC_FILTER";

    /// <summary>The I/O throttling attributes, without the DEFAULT_ATTACH_ prefix.</summary>
    public static readonly IReadOnlyList<string> IoTuneAttributes =
    [
        "TOTAL_BYTES_SEC", "TOTAL_BYTES_SEC_MAX", "TOTAL_BYTES_SEC_MAX_LENGTH",
        "READ_BYTES_SEC", "READ_BYTES_SEC_MAX", "READ_BYTES_SEC_MAX_LENGTH",
        "WRITE_BYTES_SEC", "WRITE_BYTES_SEC_MAX", "WRITE_BYTES_SEC_MAX_LENGTH",
        "TOTAL_IOPS_SEC", "TOTAL_IOPS_SEC_MAX", "TOTAL_IOPS_SEC_MAX_LENGTH",
        "READ_IOPS_SEC", "READ_IOPS_SEC_MAX", "READ_IOPS_SEC_MAX_LENGTH",
        "WRITE_IOPS_SEC", "WRITE_IOPS_SEC_MAX", "WRITE_IOPS_SEC_MAX_LENGTH",
        "SIZE_IOPS_SEC",
    ];

    public static readonly IReadOnlyList<KvmrcParameter> All =
    [
        new(LibvirtUri, ParameterKind.Text, "qemu:///system", "connection string to libvirtd"),
        new(QemuProtocol, ParameterKind.Text, "qemu+ssh", "protocol of live migrations"),
        new(ShutdownTimeout, ParameterKind.Seconds, "120", "seconds to wait for an ACPI shutdown"),
        new(VirshRetries, ParameterKind.Count, "3", "attempts of a virsh call that failed for a transient reason"),
        new(VirshTimeout, ParameterKind.Seconds, "60", "seconds before a virsh call that may block is killed"),
        new(SyncTime, ParameterKind.YesNo, "no", "sync the guest clock from the RTC after restore and migration"),
        new(ForceDestroy, ParameterKind.YesNo, "no", "destroy the VM when the shutdown times out"),
        new(CancelNoAcpi, ParameterKind.YesNo, "no", "destroy, instead of shut down, VMs without ACPI"),
        new(MigrateOptions, ParameterKind.Words, "", "extra options of virsh migrate, split on blanks"),
        new(CleanupMemoryOnStart, ParameterKind.YesNo, "no", "drop caches and compact memory before a VM starts"),
        new(CleanupMemoryOnStop, ParameterKind.YesNo, "no", "drop caches and compact memory after a VM stops"),
        new(LibvirtMdUri, ParameterKind.Text, "http://opennebula.org/xmlns/libvirt/1.0", "namespace of OpenNebula's libvirt metadata"),
        new(LibvirtMdKey, ParameterKind.Text, "one", "prefix of OpenNebula's libvirt metadata"),
        new(OvmfNvram, ParameterKind.Text, null, "template of the UEFI variables file"),
        new(VirtiofsdBinaryPath, ParameterKind.Words, "", "candidate paths of virtiofsd, first found wins"),
        new(DefaultAttachCache, ParameterKind.DiskCache, null, "cache mode of attached disks that set none"),
        new(DefaultAttachDiscard, ParameterKind.DiskDiscard, null, "discard mode of attached disks that set none"),
        new(DefaultAttachIo, ParameterKind.DiskIo, null, "I/O policy of attached disks that set none"),
        new(DefaultAttachVirtioBlkQueues, ParameterKind.QueuesOrAuto, null, "virtio-blk queues of attached disks (a number or auto)"),
        new(DefaultAttachVirtioBlkIothread, ParameterKind.IoThread, null, "iothread id of attached virtio-blk disks (0 picks one from the disk id)"),
        new(DefaultAttachNicModel, ParameterKind.Text, null, "model of attached NICs that set none"),
        new(DefaultAttachNicFilter, ParameterKind.Text, null, "libvirt network filter of attached NICs that set none"),
        .. IoTuneAttributes.Select(a =>
            new KvmrcParameter("DEFAULT_ATTACH_" + a, ParameterKind.IoTune, null, $"{a} throttling of attached disks that set none")),
    ];

    private static readonly Dictionary<string, KvmrcParameter> ByName =
        All.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public static KvmrcParameter Get(string name) => ByName[name];

    public static bool IsKnown(string name) => ByName.ContainsKey(name);
}
