using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Host;

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
    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments.Required("deploy_id");
        var destinationHost = HypervisorUri.CheckHost(arguments.Required("dest_host"));
        var sourceHost = arguments.Optional("src_host") ?? arguments.Optional("vm_host") ?? "this host";
        var data = await MigrationInput.ReadAsync(context, cancellationToken).ConfigureAwait(false);
        if (MigrationInput.IsSameHost(sourceHost, destinationHost))
        {
            await new DatastoreMove
            {
                Domain = domain,
                Host = sourceHost,
                Virsh = context.Virsh,
                Shell = HostShell.Local(context, sourceHost),
                Storage = MigrationInput.DatastoreChange(domain, destinationHost, data, arguments.Optional("vm_id")),
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
            VmId = arguments.Optional("vm_id"),
            SourceIsRemote = false,
        }.RunAsync(context, data, cancellationToken).ConfigureAwait(false);
    }
}
