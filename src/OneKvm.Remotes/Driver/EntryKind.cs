namespace OneKvm.Remotes.Driver;

internal enum EntryKind
{
    /// <summary>A VMM driver action under vmm/kvm, run by one_vmm_exec.</summary>
    VmmAction,

    /// <summary>A hook of save/restore for one system datastore TM_MAD (save.ceph).</summary>
    DatastoreHook,

    /// <summary>A monitor probe under im/kvm-probes.d, run by the monitor daemon.</summary>
    Probe,

    /// <summary>
    /// One of OpenNebula's helpers that run as root (through sudo, or started by libvirt):
    /// vtpm_setup, virtiofsd.sh. It ignores the caller's environment and refuses any argument
    /// it cannot prove harmless (RootHelpers/README.md).
    /// </summary>
    RootHelper,

    /// <summary>The binary itself, for operators: onekvm --list, onekvm kvmrc.</summary>
    Tool,
}
