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
    public static string VmDirectory(string helper, string value) =>
        NormalizedVmDirectory(value)
        ?? throw new RefusedException($"{helper} refused the VM directory '{value}': it is not {Datastores}/<datastore id>/<vm id>.");

    /// <summary>A file such as vm.xml directly in a VM directory: the VM directory is returned.</summary>
    public static string VmDirectoryOfFile(string helper, string value, string fileName)
    {
        var slash = value.LastIndexOf('/');
        return slash > 0 && value[(slash + 1)..] == fileName && NormalizedVmDirectory(value[..slash]) is { } directory
            ? directory
            : throw new RefusedException($"{helper} refused the file '{value}': it is not {Datastores}/<datastore id>/<vm id>/{fileName}.");
    }

    private static string? NormalizedVmDirectory(string value) =>
        BelowDatastores(value) is { } below && string.Join('/', below) is var vm && VmDirectoryForm().IsMatch(vm)
            ? $"{Datastores}/{vm}"
            : null;

    /// <summary>The components of an absolute path below <see cref="Datastores"/>, none "." or ".."; otherwise null.</summary>
    private static string[]? BelowDatastores(string value)
    {
        var parts = value.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return value.StartsWith('/') && !parts.Any(p => p is "." or "..")
            && parts.Length > 4 && string.Join('/', parts[..4]) == Datastores[1..]
            ? parts[4..]
            : null;
    }

    /// <summary>
    /// A directory virtiofsd shares with a guest: below a datastore of the node
    /// (&lt;datastores&gt;/&lt;id&gt;/...), with no "." or "..", and no symlink below the datastore.
    /// </summary>
    public static string SharedDirectory(string helper, string value)
    {
        var below = BelowDatastores(value) ?? [];
        if (below.Length < 2 || !below[0].All(char.IsAsciiDigit))
        {
            throw new RefusedException($"{helper} refused to share '{value}': it is not a directory below {Datastores}/<datastore id>/.");
        }
        var path = $"{Datastores}/{below[0]}";
        foreach (var part in below.Skip(1))
        {
            path += "/" + part;
            if (new FileInfo(path).LinkTarget is not null)
            {
                throw new RefusedException($"{helper} refused to share '{value}': {RefusedException.Symlink(path).Message}.");
            }
        }
        return path;
    }

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex UuidForm();

    [GeneratedRegex("^[0-9]{1,10}/[0-9]{1,10}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex VmDirectoryForm();
}
