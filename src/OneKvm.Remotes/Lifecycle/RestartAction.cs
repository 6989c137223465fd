namespace OneKvm.Remotes.Lifecycle;

/// <summary>
/// reboot and reset: the virsh call of the same name. reboot asks the guest to reboot (ACPI), and
/// the guest decides when; reset is a hard reset of the domain, without the guest's cooperation.
/// </summary>
internal sealed class RestartAction(string verb) : IDriverAction
{
    public static readonly ActionEntry RebootRow = Row("reboot", "Ask the guest to reboot (ACPI).");

    public static readonly ActionEntry ResetRow = Row("reset", "Reset the domain like a power-cycle, without asking the guest.");

    private static ActionEntry Row(string verb, string summary) => ActionEntry.Vmm(verb, summary,
        [DeployId, ThisHost.Optional(), VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new RestartAction(verb));

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        await context.Virsh.RunOrFailAsync(VirshCommand.Create(verb, "--domain", domain),
            $"Could not {verb} domain {domain}", cancellationToken).ConfigureAwait(false);
    }
}
