namespace OneKvm.Remotes.Monitoring;

/// <summary>The QEMU process running a domain, as found on this host.</summary>
internal sealed record QemuProcess(string Name, string Uuid, int Pid);
