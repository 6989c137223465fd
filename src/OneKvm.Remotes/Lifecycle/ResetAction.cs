using OneKvm.Remotes.Virsh;
using OneKvm.Remotes.Driver;
using static OneKvm.Remotes.Driver.ActionParameter;

namespace OneKvm.Remotes.Lifecycle;

/// <summary>reset: a hard reset of the domain (virsh reset), without the guest's cooperation.</summary>
internal sealed class ResetAction : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Vmm("reset", "Reset the domain like a power-cycle, without asking the guest.",
        [DeployId, ThisHost.Optional(), VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new ResetAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        await context.Virsh.RunOrFailAsync(VirshCommand.Create("reset", "--domain", domain),
            $"Could not reset domain {domain}", cancellationToken).ConfigureAwait(false);
    }
}
