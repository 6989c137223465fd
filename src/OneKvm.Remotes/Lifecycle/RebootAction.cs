using OneKvm.Remotes.Virsh;
using OneKvm.Remotes.Driver;
using static OneKvm.Remotes.Driver.ActionParameter;

namespace OneKvm.Remotes.Lifecycle;

/// <summary>reboot: asks the guest to reboot (virsh reboot); the guest decides when.</summary>
internal sealed class RebootAction : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Vmm("reboot", "Ask the guest to reboot (ACPI).",
        [DeployId, ThisHost.Optional(), VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new RebootAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        await context.Virsh.RunOrFailAsync(VirshCommand.Create("reboot", "--domain", domain),
            $"Could not reboot domain {domain}", cancellationToken).ConfigureAwait(false);
    }
}
