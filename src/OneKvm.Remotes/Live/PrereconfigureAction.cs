using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Logging;
using OneKvm.Remotes.Virsh;

namespace OneKvm.Remotes.Live;

/// <summary>
/// prereconfigure: ejects the context CD-ROM before the context ISO is rebuilt. A tray
/// that is already empty is success (read from virsh's answer, without upstream's
/// domblklist + awk); a VM without a context (empty target) has nothing to eject.
/// </summary>
internal sealed class PrereconfigureAction : IDriverAction
{
    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments.Required("deploy_id");
        if (arguments.Optional("context_target") is not { } target)
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
