namespace OneKvm.Remotes.Dispatch;

internal enum EntryKind
{
    /// <summary>A VMM driver action under vmm/kvm, run by one_vmm_exec.</summary>
    VmmAction,

    /// <summary>A hook of save/restore for one system datastore TM_MAD (save.ceph).</summary>
    DatastoreHook,

    /// <summary>A monitor probe under im/kvm-probes.d, run by the monitor daemon.</summary>
    Probe,

    /// <summary>The binary itself, for operators: onekvm --list, onekvm kvmrc.</summary>
    Tool,
}
