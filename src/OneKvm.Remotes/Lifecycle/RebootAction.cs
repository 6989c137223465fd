using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Virsh;

namespace OneKvm.Remotes.Lifecycle;

/// <summary>reboot: asks the guest to reboot (virsh reboot); the guest decides when.</summary>
internal sealed class RebootAction : IDriverAction
{
    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments.Required("deploy_id");
        await context.Virsh.RunOrFailAsync(VirshCommand.Create("reboot", "--domain", domain),
            $"Could not reboot domain {domain}", cancellationToken).ConfigureAwait(false);
    }
}
