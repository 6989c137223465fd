using System.Runtime.InteropServices;

namespace OneKvm.Remotes.Host;

/// <summary>
/// What statx(2) says of a file. .NET has no managed API for a file's type, owner, link count or
/// inode, so every check of them (a regular file, a symlink's owner, a block device) reads them here.
/// </summary>
internal readonly record struct FileStatus(int Links, int Uid, int Gid, int Mode, ulong Inode, long Size, long ModifiedSeconds,
    uint ModifiedNanoseconds)
{
    public const int RegularFile = 0x8000;
    public const int SymbolicLink = 0xA000;
    public const int BlockDevice = 0x6000;
    private const int CurrentDirectory = -100; // AT_FDCWD
    private const int SymlinkNoFollow = 0x100; // AT_SYMLINK_NOFOLLOW
    private const int EmptyPath = 0x1000; // AT_EMPTY_PATH: the descriptor itself
    private const uint BasicStats = 0x7ff; // STATX_BASIC_STATS

    /// <summary>The file type bits of <see cref="Mode"/> (S_IFMT).</summary>
    public int Type => Mode & 0xF000;

    public (int Uid, int Gid) Owner => (Uid, Gid);

    /// <summary>Whether a path is a block device (following links), as `test -b` tells upstream.</summary>
    public static bool IsBlockDevice(string path) => Of(path)?.Type == BlockDevice;

    /// <summary>
    /// The file at <paramref name="path"/> (relative to the directory open at <paramref name="directoryFd"/>, if given),
    /// of a last symlink itself unless <paramref name="followLink"/>; null when statx fails (its errno: Marshal.GetLastPInvokeError).
    /// </summary>
    public static FileStatus? Of(string path, bool followLink = true, int directoryFd = CurrentDirectory) =>
        Read(directoryFd, path, followLink ? 0 : SymlinkNoFollow);

    /// <summary>The file open at <paramref name="fd"/>; null when statx fails.</summary>
    public static FileStatus? OfDescriptor(int fd) => Read(fd, "", EmptyPath);

    private static FileStatus? Read(int directoryFd, string path, int flags)
    {
        var buffer = new byte[256];
        return Statx(directoryFd, path, flags, BasicStats, buffer) != 0 ? null : new FileStatus(
            BitConverter.ToInt32(buffer, 16), BitConverter.ToInt32(buffer, 20), BitConverter.ToInt32(buffer, 24),
            BitConverter.ToUInt16(buffer, 28), BitConverter.ToUInt64(buffer, 32), BitConverter.ToInt64(buffer, 40),
            BitConverter.ToInt64(buffer, 112), BitConverter.ToUInt32(buffer, 120));
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
