namespace OneKvm.Remotes.Host;

/// <summary>
/// dirname/basename as coreutils compute them. OpenNebula's datastore paths keep a
/// double slash (/var/lib/one//datastores/0/7) and the checkpoint path rewriting must
/// see the same prefix upstream's `dirname` gives; .NET's Path collapses it.
/// </summary>
internal static class PosixPath
{
    public static string Dirname(string path)
    {
        var end = TrimTrailingSlashes(path);
        if (end == 0)
        {
            return path.Length > 0 ? "/" : ".";
        }
        var slash = path.LastIndexOf('/', end - 1);
        if (slash < 0)
        {
            return ".";
        }
        var parent = TrimTrailingSlashes(path[..(slash + 1)]);
        return parent == 0 ? "/" : path[..parent];
    }

    public static string Basename(string path)
    {
        var end = TrimTrailingSlashes(path);
        if (end == 0)
        {
            return path.Length > 0 ? "/" : "";
        }
        return path[(path.LastIndexOf('/', end - 1) + 1)..end];
    }

    public static string CollapseSlashes(string path)
    {
        var chars = new List<char>(path.Length);
        foreach (var c in path)
        {
            if (c != '/' || chars.Count == 0 || chars[^1] != '/')
            {
                chars.Add(c);
            }
        }
        return new string([.. chars]);
    }

    private static int TrimTrailingSlashes(string path)
    {
        var end = path.Length;
        while (end > 0 && path[end - 1] == '/')
        {
            end--;
        }
        return end;
    }
}
