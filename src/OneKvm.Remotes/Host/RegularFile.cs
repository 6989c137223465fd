using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OneKvm.Remotes.Host;

/// <summary>
/// Reads a small file the driver is configured by (kvmrc, the probes' state and configuration
/// files, pid files, vm.xml) without
/// ever waiting on it: only a regular file is read, and at most <see cref="Limit"/> bytes.
/// A FIFO would block open(2) until someone writes to it and /dev/zero never ends, so the file
/// is opened with O_NONBLOCK and its type checked on the open descriptor (statx) before a byte
/// is read. .NET opens paths with a blocking open(2) and has no file-type API, hence the libc calls.
/// </summary>
internal static class RegularFile
{
    /// <summary>kvmrc is about 4 KB, a state file holds a line per VM: 16 MiB is far above both.</summary>
    public const int Limit = 16 * 1024 * 1024;

    private const int ReadOnlyNonBlocking = 0x800 | 0x80000; // O_RDONLY | O_NONBLOCK | O_CLOEXEC
    private const int NoSuchFile = 2;
    private const int NotADirectory = 20;
    private const int EmptyPath = 0x1000; // AT_EMPTY_PATH: statx of the descriptor itself
    private const uint TypeAndSize = 0x1 | 0x200; // STATX_TYPE | STATX_SIZE
    private const int StatxSize = 256;
    public const int FileTypeMask = 0xF000;
    private const int Regular = 0x8000;

    /// <summary>The text of <paramref name="path"/> (UTF-8, invalid bytes replaced), or null when it does not exist.</summary>
    /// <param name="what">What the file is, for the sentence ("kvmrc").</param>
    /// <param name="limit">The most bytes such a file may have.</param>
    /// <exception cref="OneKvmException">It exists but is no regular file, is too large or cannot be read.</exception>
    public static string? TryReadText(string path, string what, int limit = Limit)
    {
        var fd = Open(path, ReadOnlyNonBlocking);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is NoSuchFile or NotADirectory
                ? null
                : throw new OneKvmException($"Could not read {what} {path}: {Marshal.GetPInvokeErrorMessage(errno)}.");
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        var buffer = new byte[StatxSize];
        if (Statx(fd, "", EmptyPath, TypeAndSize, buffer) != 0)
        {
            throw new OneKvmException($"Could not read {what} {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}.");
        }
        var type = BitConverter.ToUInt16(buffer, 28) & FileTypeMask;
        if (type != Regular)
        {
            throw new OneKvmException($"Could not read {what} {path}: it is {TypeName(type)}, not a regular file.");
        }
        var size = BitConverter.ToInt64(buffer, 40);
        if (size > limit)
        {
            throw new OneKvmException($"Could not read {what} {path}: it has {size} bytes, more than the {limit} such a file may have.");
        }
        try
        {
            using var stream = new FileStream(handle, FileAccess.Read, 1);
            var content = new byte[size];
            // a file that grows while it is read is read up to the size it had
            var read = stream.ReadAtLeast(content, content.Length, throwOnEndOfStream: false);
            return Encoding.UTF8.GetString(content, 0, read);
        }
        catch (IOException e)
        {
            throw new OneKvmException($"Could not read {what} {path}: {e.Message.TrimEnd('.')}.", e);
        }
    }

    /// <summary>
    /// What tells this file from another one later put under the same name: inode, size and
    /// modification time (ns). Null when it does not exist.
    /// </summary>
    public static string? IdentityOf(string path)
    {
        var buffer = new byte[StatxSize];
        if (Statx(CurrentDirectory, path, 0, InodeSizeAndTime, buffer) != 0)
        {
            return null;
        }
        var inode = BitConverter.ToUInt64(buffer, 32);
        var size = BitConverter.ToInt64(buffer, 40);
        var seconds = BitConverter.ToInt64(buffer, 112);
        var nanoseconds = BitConverter.ToUInt32(buffer, 120);
        return $"{inode}:{size}:{seconds}.{nanoseconds:D9}";
    }

    /// <summary>Owner and mode (type and permission bits) of a path, of a last symlink itself unless <paramref name="followLink"/>; null when there is nothing.</summary>
    public static (int Uid, int Mode)? OwnerAndMode(string path, bool followLink)
    {
        var buffer = new byte[StatxSize];
        return Statx(CurrentDirectory, path, followLink ? 0 : SymlinkNoFollow, TypeModeAndOwner, buffer) == 0
            ? (BitConverter.ToInt32(buffer, 20), BitConverter.ToUInt16(buffer, 28))
            : null;
    }

    private const int CurrentDirectory = -100; // AT_FDCWD
    private const int SymlinkNoFollow = 0x100; // AT_SYMLINK_NOFOLLOW
    private const uint TypeModeAndOwner = 0x1 | 0x2 | 0x8; // STATX_TYPE | STATX_MODE | STATX_UID
    private const uint InodeSizeAndTime = 0x100 | 0x200 | 0x40; // STATX_INO | STATX_SIZE | STATX_MTIME

    private static string TypeName(int type) => type switch
    {
        0x4000 => "a directory",
        0x1000 => "a FIFO",
        0x2000 => "a character device",
        0x6000 => "a block device",
        0xC000 => "a socket",
        _ => "a special file",
    };

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
