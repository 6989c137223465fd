namespace OneKvm.Remotes.Migration;

/// <summary>
/// migrate_local, run on the front-end: the same live migration as migrate, with the
/// source's libvirt reached at QEMU_PROTOCOL://&lt;src_host&gt;/system and the memory
/// cleanups of both hosts done through ssh.
/// </summary>
internal sealed class MigrateLocalAction : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Vmm("migrate_local", "Live-migrate the domain, driven from the front-end.",
        [DeployId, MigrateAction.DestHost, MigrateAction.SrcHost, VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new MigrateLocalAction());

    public Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken) =>
        MigrateAction.RunAsync(context, arguments, sourceIsRemote: true, cancellationToken);
}
