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
        if (!domainName.StartsWith(Prefix, StringComparison.Ordinal) || domainName.Length == Prefix.Length)
        {
            return null;
        }
        var digits = domainName.AsSpan(Prefix.Length);
        if (digits.Length > 1 && digits[0] == '0')
        {
            return null;
        }
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return null;
            }
        }
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }
}
