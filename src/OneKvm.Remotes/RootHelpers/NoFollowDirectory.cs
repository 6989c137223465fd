using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OneKvm.Remotes.RootHelpers;

/// <summary>
/// A directory held open by its file descriptor, so that a root helper works inside it with
/// openat(2) and friends and never through a path that could be swapped for a symlink
/// between a check and its use. Every name opened or created in it is one component, opened
/// with O_NOFOLLOW: a symlink there is refused, never followed. .NET has no API for this
/// (FileStream, Directory and File all take paths), hence the libc calls.
/// </summary>
internal sealed class NoFollowDirectory : IDisposable
{
    private const int ReadOnly = 0x0;
    private const int WriteOnly = 0x1;
    private const int Create = 0x40;
    private const int Exclusive = 0x80;
    private const int DirectoryOnly = 0x10000;
    private const int NoFollow = 0x20000;
    private const int CloseOnExec = 0x80000;
    private const int NonBlocking = 0x800; // a FIFO opens at once (and is then refused as no regular file)
    private const int NoSuchFile = 2;
    private const int Exists = 17;
    private const int NotADirectory = 20;
    private const int TooManyLinks = 40; // ELOOP: what O_NOFOLLOW answers for a symlink
    private const int CurrentDirectory = -100; // AT_FDCWD

    private readonly int _fd;

    private NoFollowDirectory(int fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    /// <summary>The path it was opened by, for messages only.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens an absolute directory whose last component must not be a symlink (the ones above
    /// it may be the administrator's, e.g. a datastore linked to a mount, but never another user's:
    /// <see cref="Host.TrustedPath"/>). Null when it does not exist.
    /// </summary>
    public static NoFollowDirectory? TryOpen(string path)
    {
        try
        {
            Host.TrustedPath.Check(path);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new RefusedException(e.Message);
        }
        return Opened(OpenAt(CurrentDirectory, path, ReadOnly | DirectoryOnly | NoFollow | CloseOnExec, 0), path) is { } fd
            ? new NoFollowDirectory(fd, path)
            : null;
    }

    /// <summary>A directory in this one; null when it does not exist and <paramref name="createMode"/> is null.</summary>
    public NoFollowDirectory? TryOpenDirectory(string name, UnixFileMode? createMode = null)
    {
        var path = Child(name);
        if (createMode is { } mode && MakeDirectoryAt(_fd, name, (uint)mode) != 0 && Marshal.GetLastPInvokeError() is var made && made != Exists)
        {
            throw Failure(path, made, "create");
        }
        return Opened(OpenAt(_fd, name, ReadOnly | DirectoryOnly | NoFollow | CloseOnExec, 0), path) is { } fd
            ? new NoFollowDirectory(fd, path)
            : null;
    }

    /// <summary>The descriptor an open of <paramref name="path"/> just returned; null when it found nothing there.</summary>
    private static int? Opened(int fd, string path)
    {
        var errno = fd >= 0 ? 0 : Marshal.GetLastPInvokeError();
        return fd >= 0 ? fd : errno == NoSuchFile ? null : throw Failure(path, errno, "open");
    }

    /// <summary>The descriptor an open with O_CREAT of <paramref name="name"/> just returned.</summary>
    private int Created(int fd, string name) => fd >= 0 ? fd : throw Failure(Child(name), Marshal.GetLastPInvokeError(), "create");

    public NoFollowDirectory OpenDirectory(string name, UnixFileMode? createMode = null) =>
        TryOpenDirectory(name, createMode) ?? throw new OneKvmException($"{Child(name)} does not exist");

    /// <summary>The whole of a regular file of this directory, at most <paramref name="limit"/> bytes; null when it does not exist.</summary>
    public byte[]? TryReadFile(string name, int limit)
    {
        var path = Child(name);
        if (Opened(OpenAt(_fd, name, ReadOnly | NoFollow | NonBlocking | CloseOnExec, 0), path) is not { } fd)
        {
            return null;
        }
        using var handle = new SafeFileHandle((nint)fd, ownsHandle: true);
        OwnFile(fd, path);
        using var stream = new FileStream(handle, FileAccess.Read, 1);
        if (stream.Length > limit)
        {
            throw new OneKvmException($"{path} has {stream.Length} bytes, more than the {limit} a TPM state may have");
        }
        var content = new byte[stream.Length];
        stream.ReadExactly(content);
        return content;
    }

    /// <summary>
    /// Replaces a file of this directory whole: written under a new name, given its mode and
    /// owner, then renamed over the old one (which, were it a symlink, is replaced, not followed).
    /// </summary>
    public void WriteFile(string name, byte[] content, UnixFileMode mode, (int Uid, int Gid) owner)
    {
        var temporary = $".{name}.onekvm-{Environment.ProcessId}";
        var fd = Created(OpenAt(_fd, temporary, WriteOnly | Create | Exclusive | NoFollow | CloseOnExec, (uint)mode), temporary);
        try
        {
            using (var handle = new SafeFileHandle((nint)fd, ownsHandle: true))
            {
                Check(ChangeMode(fd, (uint)mode), Child(temporary), "chmod");
                Check(ChangeOwner(fd, owner.Uid, owner.Gid), Child(temporary), "chown");
                using var stream = new FileStream(handle, FileAccess.Write, 1);
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            Check(RenameAt(_fd, temporary, _fd, name), Child(name), "rename onto");
        }
        catch
        {
            _ = UnlinkAt(_fd, temporary, 0);
            throw;
        }
    }

    /// <summary>Creates the file if need be (never through a symlink) and sets its mode and owner.</summary>
    public void Touch(string name, UnixFileMode mode, (int Uid, int Gid) owner)
    {
        var fd = Created(OpenAt(_fd, name, WriteOnly | Create | NoFollow | CloseOnExec, (uint)mode), name);
        using var handle = new SafeFileHandle((nint)fd, ownsHandle: true);
        OwnFile(fd, Child(name));
        Check(ChangeMode(fd, (uint)mode), Child(name), "chmod");
        Check(ChangeOwner(fd, owner.Uid, owner.Gid), Child(name), "chown");
    }

    public void SetMode(UnixFileMode mode) => Check(ChangeMode(_fd, (uint)mode), Path, "chmod");

    public void SetOwner((int Uid, int Gid) owner) => Check(ChangeOwner(_fd, owner.Uid, owner.Gid), Path, "chown");

    public (int Uid, int Gid) Owner => Stat(_fd, Path).Owner;

    public void Dispose() => _ = Close(_fd);

    /// <summary>The owner of an entry of this directory (a symlink's own); null when there is none.</summary>
    public (int Uid, int Gid)? TryOwnerOf(string name) => FileStatus.Of(name, followLink: false, _fd)?.Owner;

    /// <summary>Owner and mode bits of a path (its last symlink followed).</summary>
    public static (int Uid, int Mode) StatPath(string path) =>
        FileStatus.Of(path) is { } stat ? (stat.Uid, stat.Mode) : throw Failure(path, Marshal.GetLastPInvokeError(), "stat");

    private string Child(string name) => Path.TrimEnd('/') + "/" + name;

    private static FileStatus Stat(int fd, string path) =>
        FileStatus.OfDescriptor(fd) ?? throw Failure(path, Marshal.GetLastPInvokeError(), "stat");

    /// <summary>
    /// A regular file with one name: a second hard link (to /etc/shadow, say) would have root
    /// read it out or chown it (fs.protected_hardlinks stops most of those; this does not rely on it).
    /// </summary>
    private static void OwnFile(int fd, string path)
    {
        var stat = Stat(fd, path);
        if (stat.Type != FileStatus.RegularFile)
        {
            throw new RefusedException($"{path} is not a regular file");
        }
        if (stat.Links != 1)
        {
            throw new RefusedException($"{path} has {stat.Links} hard links, so it may be another file too");
        }
    }

    private static void Check(int result, string path, string what)
    {
        if (result != 0)
        {
            throw Failure(path, Marshal.GetLastPInvokeError(), what);
        }
    }

    private static OneKvmException Failure(string path, int errno, string what) => errno switch
    {
        TooManyLinks => RefusedException.Symlink(path),
        // O_DIRECTORY answers ENOTDIR before O_NOFOLLOW's ELOOP for a symlink; lstat tells which (the message only)
        NotADirectory when new FileInfo(path).LinkTarget is not null => RefusedException.Symlink(path),
        NotADirectory => new RefusedException($"{path} is not a directory"),
        _ => new OneKvmException($"cannot {what} {path}: {Marshal.GetPInvokeErrorMessage(errno)}"),
    };

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static extern int OpenAt(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    private static extern int MakeDirectoryAt(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", EntryPoint = "renameat", SetLastError = true)]
    private static extern int RenameAt(int oldDirectoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, int newDirectoryFd,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);

    [DllImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static extern int UnlinkAt(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static extern int ChangeMode(int fd, uint mode);

    [DllImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static extern int ChangeOwner(int fd, int uid, int gid);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
