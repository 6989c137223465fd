namespace OneKvm.Remotes.Live;

/// <summary>
/// reconfigure: puts the rebuilt context ISO into the context CD-ROM. A block device
/// (an LVM datastore's ISO) is handed over with --block. --update replaces whatever
/// the tray holds, so an insert does not fail when the eject before it was skipped.
/// </summary>
internal sealed class ReconfigureAction : IDriverAction
{
    private static readonly ActionParameter IsoPath = new("iso_path", "the context ISO");
    public static readonly ActionEntry Row = ActionEntry.Vmm("reconfigure", "Insert the rebuilt context ISO into the context CD-ROM.",
        [DeployId, PrereconfigureAction.ContextTarget, IsoPath, VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new ReconfigureAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        if (arguments.Optional(PrereconfigureAction.ContextTarget) is not { } target || arguments.Optional(IsoPath) is not { } iso)
        {
            context.Logger.NoContextTarget("insert");
            return;
        }
        var command = VirshCommand.Create("change-media", "--domain", domain, "--path", target, "--source", iso, "--update", "--force");
        await context.Virsh.RunOrFailAsync(FileStatus.IsBlockDevice(iso) ? command.WithArguments("--block") : command,
            $"Could not insert {iso} into the CD-ROM {target} of {domain}", cancellationToken).ConfigureAwait(false);
    }
}
