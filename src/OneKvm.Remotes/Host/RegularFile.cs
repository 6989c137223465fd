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

    /// <summary>The text of <paramref name="path"/> (UTF-8, invalid bytes replaced), or null when it does not exist.</summary>
    /// <param name="what">What the file is, for the sentence ("kvmrc").</param>
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
        var status = FileStatus.OfDescriptor(fd)
            ?? throw new OneKvmException($"Could not read {what} {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}.");
        if (status.Type != FileStatus.RegularFile)
        {
            throw new OneKvmException($"Could not read {what} {path}: it is {TypeName(status.Type)}, not a regular file.");
        }
        if (status.Size > limit)
        {
            throw new OneKvmException($"Could not read {what} {path}: it has {status.Size} bytes, more than the {limit} such a file may have.");
        }
        try
        {
            using var stream = new FileStream(handle, FileAccess.Read, 1);
            var content = new byte[status.Size];
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
    public static string? IdentityOf(string path) =>
        FileStatus.Of(path) is { } s ? $"{s.Inode}:{s.Size}:{s.ModifiedSeconds}.{s.ModifiedNanoseconds:D9}" : null;

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
}
