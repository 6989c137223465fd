using System.Runtime.InteropServices;

namespace OneKvm.Remotes.Host;

/// <summary>
/// Whether a path onekvm is about to write under can be trusted: every symbolic link on the way
/// to it (in any parent directory) must be owned by root, by the user onekvm runs as, or by the owner
/// of the directory that holds it, the rule the kernel's fs.protected_symlinks applies in sticky
/// world-writable directories, here applied everywhere and whatever that sysctl says. So the links
/// an administrator or oneadmin's TM drivers make (a system datastore linked to another mount) are
/// followed, and a link another user planted (a VM directory swapped for a link out of the datastore,
/// /var/tmp/one_db made a link before the probe ran) is not. The walk stops at the first name that
/// does not exist yet: what is created from there is new, not followed.
/// </summary>
internal static class TrustedPath
{
    private const int MaxLinks = 40; // what the kernel follows before ELOOP

    /// <exception cref="UnauthorizedAccessException">A link on the way is another user's (the message is a sentence).</exception>
    public static void Check(string path)
    {
        var pending = new Stack<string>();
        Push(pending, Path.GetFullPath(path));
        var current = "/";
        var links = 0;
        var self = GetEffectiveUserId();
        while (pending.TryPop(out var name))
        {
            if (name == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            var next = current == "/" ? "/" + name : current + "/" + name;
            if (FileStatus.Of(next, followLink: false) is not { } entry)
            {
                return;
            }
            if (entry.Type != FileStatus.SymbolicLink)
            {
                current = next;
                continue;
            }
            if (entry.Uid != 0 && entry.Uid != self && entry.Uid != FileStatus.Of(current, followLink: false)?.Uid)
            {
                throw new UnauthorizedAccessException(
                    $"{next} is a symbolic link owned by uid {entry.Uid}, neither root, this user nor the owner of {current}: it is not followed");
            }
            if (++links > MaxLinks || new FileInfo(next).LinkTarget is not { } target)
            {
                throw new UnauthorizedAccessException($"{next} leads through more than {MaxLinks} symbolic links");
            }
            if (target.StartsWith('/'))
            {
                current = "/";
            }
            Push(pending, target);
        }
    }

    /// <summary>
    /// Checks the directory of <paramref name="file"/>: the file itself, when a link, is the writer's to
    /// replace (renamed over, or moved aside), never followed.
    /// </summary>
    public static void CheckDirectoryOf(string file) => Check(Path.GetDirectoryName(Path.GetFullPath(file))!);

    /// <summary>
    /// A directory onekvm keeps files in whose names it does not re-check (the metric history's
    /// SQLite files): it must be owned by root or this user and not writable by others, or another
    /// user could put a link to any file of this user there under a name onekvm then opens.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">It is not (the message is a sentence).</exception>
    public static void CheckOwnDirectory(string directory)
    {
        Check(directory);
        if (FileStatus.Of(directory) is { } entry
            && ((entry.Uid != 0 && entry.Uid != GetEffectiveUserId()) || (entry.Mode & OthersWrite) != 0))
        {
            throw new UnauthorizedAccessException(
                $"{directory} is owned by uid {entry.Uid} with mode {Convert.ToString(entry.Mode & 0xFFF, 8)}: only a directory of root or this user that others cannot write is used");
        }
    }

    private const int OthersWrite = 0x2; // S_IWOTH

    private static void Push(Stack<string> pending, string path)
    {
        foreach (var name in path.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse().Where(n => n != "."))
        {
            pending.Push(name);
        }
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern int GetEffectiveUserId();
}
