namespace OneKvm.Remotes.Host;

/// <summary>
/// OpenNebula puts a VM's disks in its system datastore directory as disk.N,
/// often symlinks to the image. Upstream hands libvirt the link's target when it
/// exists (deploy and attach_disk), so that the domain XML names the real file.
/// </summary>
internal static class DiskLinks
{
    /// <summary>The resolved target of a file-based disk.N symlink, or <paramref name="source"/> unchanged.</summary>
    public static string Resolve(string source)
    {
        var path = source.TrimEnd();
        if (!IsDiskN(Path.GetFileName(path)) || new FileInfo(path).LinkTarget is not { } target)
        {
            return source;
        }
        var resolved = Path.IsPathRooted(target) ? target : Path.Combine(Path.GetDirectoryName(path)!, target);
        return File.Exists(resolved) || Directory.Exists(resolved) ? resolved : source;
    }

    private static bool IsDiskN(string name) =>
        name.StartsWith("disk.", StringComparison.Ordinal) && name.Length > 5 && name[5..].All(char.IsAsciiDigit);
}
