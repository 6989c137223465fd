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

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var destinationHost = HypervisorUri.CheckHost(arguments[MigrateAction.DestHost]);
        var sourceHost = HypervisorUri.CheckHost(arguments[MigrateAction.SrcHost]);
        var data = await MigrationInput.ReadAsync(context, cancellationToken).ConfigureAwait(false);
        if (MigrationInput.IsSameHost(sourceHost, destinationHost))
        {
            await new DatastoreMove
            {
                Domain = domain,
                Host = sourceHost,
                Virsh = context.Virsh.WithUri(HypervisorUri.For(context.Settings.QemuProtocol, sourceHost)),
                Shell = HostShell.Remote(context, sourceHost),
                Storage = MigrationInput.DatastoreChange(domain, destinationHost, data, arguments.Optional(VmId)),
            }.RunAsync(context, cancellationToken).ConfigureAwait(false);
            return;
        }

        var protocol = context.Settings.QemuProtocol;
        await new LiveMigration
        {
            Domain = domain,
            SourceHost = sourceHost,
            DestinationHost = destinationHost,
            Source = context.Virsh.WithUri(HypervisorUri.For(protocol, sourceHost)),
            DestinationUri = HypervisorUri.For(protocol, destinationHost),
            SourceShell = HostShell.Remote(context, sourceHost),
            VmId = arguments.Optional(VmId),
            SourceIsRemote = true,
        }.RunAsync(context, data, cancellationToken).ConfigureAwait(false);
    }
}
