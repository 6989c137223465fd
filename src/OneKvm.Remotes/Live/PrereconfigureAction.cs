namespace OneKvm.Remotes.Live;

/// <summary>
/// prereconfigure: ejects the context CD-ROM before the context ISO is rebuilt. A tray
/// that is already empty is success (read from virsh's answer, without upstream's
/// domblklist + awk); a VM without a context (empty target) has nothing to eject.
/// </summary>
internal sealed class PrereconfigureAction : IDriverAction
{
    public static readonly ActionParameter ContextTarget = new("context_target", "target device of the context CD-ROM");
    public static readonly ActionEntry Row = ActionEntry.Vmm("prereconfigure", "Eject the context CD-ROM before it is rebuilt.",
        [DeployId, ContextTarget, VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new PrereconfigureAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        if (arguments.Optional(ContextTarget) is not { } target)
        {
            context.Logger.NoContextTarget("eject");
            return;
        }
        var eject = await context.Virsh.TryRunAsync(VirshCommand.Create("change-media", "--domain", domain, "--path", target, "--eject", "--force"),
            cancellationToken).ConfigureAwait(false);
        if (eject.Succeeded)
        {
            return;
        }
        if (eject.StandardError.Contains("doesn't have media", StringComparison.Ordinal))
        {
            context.Logger.MediaAlreadyEjected(target, domain);
            return;
        }
        throw VirshRunnerExtensions.ActionFailure($"Could not eject the CD-ROM {target} of {domain}", new VirshException(eject));
    }
}
