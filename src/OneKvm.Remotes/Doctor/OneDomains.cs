using OneKvm.Remotes.Monitoring;

namespace OneKvm.Remotes.Doctor;

/// <summary>The doctor's virsh calls: one attempt, a short bound (it reports, it does not wait for libvirtd).</summary>
internal static class OneDomains
{
    public static VirshRunner Quick(VirshRunner virsh) => virsh.WithAttempts(1).WithTimeout(TimeSpan.FromSeconds(15));

    /// <summary>The OpenNebula domains (one-&lt;id&gt;) defined here, or null when libvirt does not answer.</summary>
    public static async Task<IReadOnlyList<string>?> NamesAsync(VirshRunner virsh, CancellationToken cancellationToken)
    {
        var list = await Quick(virsh).TryRunAsync(VirshCommand.Create("list", "--all", "--name").WithReadOnly(), cancellationToken).ConfigureAwait(false);
        return list.Succeeded
            ? [.. list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(n => OneVmName.IdOf(n) is not null)]
            : null;
    }
}
