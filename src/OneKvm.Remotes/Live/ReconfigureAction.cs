using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Host;
using OneKvm.Remotes.Logging;
using OneKvm.Remotes.Virsh;

namespace OneKvm.Remotes.Live;

/// <summary>
/// reconfigure: puts the rebuilt context ISO into the context CD-ROM. A block device
/// (an LVM datastore's ISO) is handed over with --block. --update replaces whatever
/// the tray holds, so an insert does not fail when the eject before it was skipped.
/// </summary>
internal sealed class ReconfigureAction : IDriverAction
{
    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments.Required("deploy_id");
        if (arguments.Optional("context_target") is not { } target || arguments.Optional("iso_path") is not { } iso)
        {
            context.Logger.NoContextTarget("insert");
            return;
        }
        var command = VirshCommand.Create("change-media", "--domain", domain, "--path", target, "--source", iso, "--update", "--force");
        if (BlockDevices.IsBlockDevice(iso))
        {
            command = command.WithArguments("--block");
        }
        await context.Virsh.RunOrFailAsync(command, $"Could not insert {iso} into the CD-ROM {target} of {domain}", cancellationToken)
            .ConfigureAwait(false);
    }
}
