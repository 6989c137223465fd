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

    public Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken) =>
        RunAsync(context, arguments, sourceIsRemote: false, cancellationToken);

    /// <summary>
    /// migrate, or migrate_local (<paramref name="sourceIsRemote"/>: the source's libvirt at
    /// QEMU_PROTOCOL://&lt;src_host&gt;/system, its files through ssh). With the same host at both
    /// ends it is a move to another system datastore when the action data names another VM
    /// directory (DS_LIVE_MIGRATE); otherwise there is nothing to do.
    /// </summary>
    public static async Task RunAsync(DriverContext context, ActionArguments arguments, bool sourceIsRemote,
        CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var destinationHost = HypervisorUri.CheckHost(arguments[DestHost]);
        var sourceHost = sourceIsRemote
            ? HypervisorUri.CheckHost(arguments[SrcHost])
            : arguments.Optional(SrcHost) ?? arguments.Optional(VmHost) ?? "this host";
        // the action data, when one_vmm_exec sent any (migrate_local's upstream ignores it)
        var stdin = await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false);
        var data = string.IsNullOrWhiteSpace(stdin) ? null : ActionData.Parse(stdin);
        var protocol = context.Settings.QemuProtocol;
        var source = sourceIsRemote ? context.Virsh.WithUri(HypervisorUri.For(protocol, sourceHost)) : context.Virsh;
        var shell = sourceIsRemote ? HostShell.Remote(context, sourceHost) : HostShell.Local(context, sourceHost);
        if (string.Equals(sourceHost, destinationHost, StringComparison.OrdinalIgnoreCase))
        {
            var storage = MigrationStorage.From(data, arguments.Optional(VmId)) is { ChangesDirectory: true } changed
                ? changed
                : throw new OneKvmException(
                    $"Source and destination of {domain} are both {destinationHost} and its VM directory stays the same: there is nothing to migrate.");
            await new DatastoreMove(context.Settings, context.Logger, context.Time, domain, sourceHost, source, shell, storage)
                .RunAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await new LiveMigration(context, context.Settings, context.Time, domain, sourceHost, destinationHost, source,
                HypervisorUri.For(protocol, destinationHost), shell, arguments.Optional(VmId), sourceIsRemote)
            .RunAsync(data, cancellationToken).ConfigureAwait(false);
    }
}
