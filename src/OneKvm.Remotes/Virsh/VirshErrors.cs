namespace OneKvm.Remotes.Virsh;

/// <summary>Recognises libvirt's error texts (virsh runs with LANG=C, so they are stable).</summary>
internal static class VirshErrors
{
    /// <summary>Failures where libvirt did nothing, so another attempt is safe.</summary>
    public static readonly IReadOnlyList<string> AlwaysTransient =
    [
        "cannot acquire state change lock",
        "Failed to connect socket to",
        "failed to connect to the hypervisor",
    ];

    /// <summary>libvirt 9 prints only "failed to get domain 'x'"; others add "Domain not found: ...".</summary>
    public static bool IsDomainNotFound(string stderr) =>
        stderr.Contains("failed to get domain", StringComparison.Ordinal)
        || stderr.Contains("Domain not found", StringComparison.Ordinal)
        || stderr.Contains("no domain with matching", StringComparison.Ordinal);

    public static bool IsDomainNotRunning(string stderr) =>
        stderr.Contains("domain is not running", StringComparison.Ordinal);
}
