using System.Text.RegularExpressions;

namespace OneKvm.Remotes.RootHelpers;

/// <summary>
/// The arguments a root helper accepts, each checked for exactly its form before anything is
/// touched: a UUID is a UUID, a VM directory is &lt;datastores&gt;/&lt;datastore id&gt;/&lt;vm id&gt;.
/// A refusal is one sentence naming the helper, the argument and what it should have been.
/// </summary>
internal static partial class HelperArguments
{
    /// <summary>Where OpenNebula keeps datastores on a host (oned's DATASTORE_LOCATION, as packaged).</summary>
    public const string Datastores = "/var/lib/one/datastores";

    public static string Uuid(string helper, string value) =>
        UuidForm().IsMatch(value)
            ? value
            : throw new RefusedException($"{helper} refused the UUID '{value}': a UUID is 8-4-4-4-12 hexadecimal digits.");

    /// <summary>
    /// The VM directory without repeated slashes (OpenNebula's metadata writes
    /// /var/lib/one//datastores/0/7); "." and ".." are refused, not resolved.
    /// </summary>
    public static string VmDirectory(string helper, string value)
    {
        var parts = value.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var normalized = "/" + string.Join('/', parts);
        var prefix = Datastores + "/";
        var refused = !value.StartsWith('/') || parts.Any(p => p is "." or "..")
            || !normalized.StartsWith(prefix, StringComparison.Ordinal)
            || !VmDirectoryForm().IsMatch(normalized[prefix.Length..]);
        return refused
            ? throw new RefusedException($"{helper} refused the VM directory '{value}': it is not {Datastores}/<datastore id>/<vm id>.")
            : normalized;
    }

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex UuidForm();

    [GeneratedRegex("^[0-9]{1,10}/[0-9]{1,10}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex VmDirectoryForm();
}
