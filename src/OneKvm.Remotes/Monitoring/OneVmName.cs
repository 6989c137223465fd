namespace OneKvm.Remotes.Monitoring;

/// <summary>OpenNebula names its domains one-&lt;vm id&gt;; every other domain is not its own (a "wild" VM).</summary>
internal static class OneVmName
{
    private const string Prefix = "one-";

    /// <summary>
    /// The VM id of one-&lt;id&gt; written the way oned writes it (decimal, no leading zero), or null
    /// for any other name. one-007 is not OpenNebula's: oned names VM 7 one-7, and reading one-007 as 7
    /// (upstream's probe matches one-(\d*)) would report VM 7 twice, once for a domain that is not it.
    /// </summary>
    public static int? IdOf(string domainName)
    {
        var digits = domainName.StartsWith(Prefix, StringComparison.Ordinal) ? domainName.AsSpan(Prefix.Length) : [];
        // ASCII digits only checked apart: int.TryParse also takes trailing NULs
        return digits is not ([] or ['0', _, ..]) && !digits.ContainsAnyExceptInRange('0', '9')
            && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }
}
