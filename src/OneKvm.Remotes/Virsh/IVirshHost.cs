namespace OneKvm.Remotes.Virsh;

/// <summary>What a helper that also talks to libvirt takes from the action calling it: <see cref="IProgramHost"/> and the virsh preset.</summary>
internal interface IVirshHost : IProgramHost
{
    VirshRunner Virsh { get; }
}
