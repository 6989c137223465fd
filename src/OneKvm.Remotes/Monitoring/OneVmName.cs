using System.Globalization;

namespace OneKvm.Remotes.Monitoring;

/// <summary>OpenNebula names its domains one-&lt;vm id&gt;; every other domain is not its own (a "wild" VM).</summary>
internal static class OneVmName
{
    private const string Prefix = "one-";

    /// <summary>The VM id of one-&lt;digits&gt;, or null for any other name.</summary>
    public static int? IdOf(string domainName)
    {
        if (!domainName.StartsWith(Prefix, StringComparison.Ordinal) || domainName.Length == Prefix.Length)
        {
            return null;
        }
        var digits = domainName.AsSpan(Prefix.Length);
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
