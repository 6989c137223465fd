using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Virsh;

namespace OneKvm.Remotes.Lifecycle;

/// <summary>reset: a hard reset of the domain (virsh reset), without the guest's cooperation.</summary>
internal sealed class ResetAction : IDriverAction
{
    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments.Required("deploy_id");
        await context.Virsh.RunOrFailAsync(VirshCommand.Create("reset", "--domain", domain),
            $"Could not reset domain {domain}", cancellationToken).ConfigureAwait(false);
    }
}
