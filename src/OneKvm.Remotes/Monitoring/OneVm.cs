namespace OneKvm.Remotes.Monitoring;

/// <summary>An OpenNebula VM on this host: its id, libvirt stats, UUID (the DEPLOY_ID) and QEMU process when found.</summary>
internal sealed record OneVm(int Id, string Uuid, DomainStats Stats, QemuProcess? Process);
