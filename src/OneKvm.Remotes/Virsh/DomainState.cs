namespace OneKvm.Remotes.Virsh;

/// <summary>Reads a domain's state with one read-only virsh call.</summary>
internal static class DomainState
{
    /// <summary>The state as virsh domstate prints it ("running", "shut off", ...), or null when there is no such domain.</summary>
    public static async Task<string?> GetAsync(VirshRunner virsh, string domain, CancellationToken cancellationToken)
    {
        var result = await virsh.TryRunAsync(VirshCommand.Create("domstate", "--domain", domain).WithReadOnly(), cancellationToken)
            .ConfigureAwait(false);
        if (result.Succeeded)
        {
            return result.StandardOutput.Trim();
        }
        return VirshErrors.IsDomainNotFound(result.StandardError) ? null : throw new VirshException(result);
    }

    /// <summary>Gone means no such domain, or a persistent one that is shut off.</summary>
    public static async Task<bool> IsGoneAsync(VirshRunner virsh, string domain, CancellationToken cancellationToken)
    {
        var state = await GetAsync(virsh, domain, cancellationToken).ConfigureAwait(false);
        return state is null or "shut off";
    }
}
