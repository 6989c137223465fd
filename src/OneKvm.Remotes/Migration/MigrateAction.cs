namespace OneKvm.Remotes.Migration;

/// <summary>
/// migrate, run on the source host: live-migrates the domain from this host's libvirt
/// (LIBVIRT_URI) to QEMU_PROTOCOL://&lt;dest_host&gt;/system. The migration itself has no
/// VIRSH_TIMEOUT (it lasts as long as the guest's memory takes) but a signal aborts it;
/// a failed or aborted migration leaves the domain running here and nothing on the
/// destination (Migration/LiveMigration.cs).
/// </summary>
internal sealed class MigrateAction : IDriverAction
{
    public static readonly ActionParameter DestHost = new("dest_host", "destination host");
    public static readonly ActionParameter SrcHost = new("src_host", "source host");
    public static readonly ActionEntry Row = ActionEntry.Vmm("migrate", "Live-migrate the domain to another host.",
        [DeployId, DestHost, SrcHost.Optional(), VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new MigrateAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var destinationHost = HypervisorUri.CheckHost(arguments[DestHost]);
        var sourceHost = arguments.Optional(SrcHost) ?? arguments.Optional(VmHost) ?? "this host";
        var data = await MigrationInput.ReadAsync(context, cancellationToken).ConfigureAwait(false);
        if (MigrationInput.IsSameHost(sourceHost, destinationHost))
        {
            await new DatastoreMove
            {
                Domain = domain,
                Host = sourceHost,
                Virsh = context.Virsh,
                Shell = HostShell.Local(context, sourceHost),
                Storage = MigrationInput.DatastoreChange(domain, destinationHost, data, arguments.Optional(VmId)),
            }.RunAsync(context, cancellationToken).ConfigureAwait(false);
            return;
        }

        await new LiveMigration
        {
            Domain = domain,
            SourceHost = sourceHost,
            DestinationHost = destinationHost,
            Source = context.Virsh,
            DestinationUri = HypervisorUri.For(context.Settings.QemuProtocol, destinationHost),
            SourceShell = HostShell.Local(context, sourceHost),
            VmId = arguments.Optional(VmId),
            SourceIsRemote = false,
        }.RunAsync(context, data, cancellationToken).ConfigureAwait(false);
    }
}
