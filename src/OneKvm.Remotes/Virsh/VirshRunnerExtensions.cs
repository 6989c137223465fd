namespace OneKvm.Remotes.Virsh;

internal static class VirshRunnerExtensions
{
    /// <summary>Runs the command; on failure, the action fails with "<paramref name="failure"/>: virsh's reason."</summary>
    public static async Task<ProgramResult> RunOrFailAsync(this VirshRunner virsh, ProgramCommand command, string failure,
        CancellationToken cancellationToken)
    {
        try
        {
            return await virsh.RunAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException e)
        {
            throw ActionFailure(failure, e);
        }
    }

    /// <summary>The one reader (and destroyer) of <paramref name="name"/> on this runner's libvirt.</summary>
    public static VirshDomain Domain(this VirshRunner virsh, string name) => new(virsh, name);

    public static OneKvmException ActionFailure(string failure, VirshException cause) =>
        new($"{failure}: {(cause is VirshTimeoutException ? cause.Message : cause.Reason())}.", cause);
}
