using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// One state probe of a host at a time from its look at libvirt to its saved state file: ten
/// started at once would each compare with the same last states and all report the same change.
/// An advisory lock (flock) on &lt;states file&gt;.lock, opened without following a link; waited for
/// at most <see cref="Patience"/>, after which the probe runs unlocked rather than not at all.
/// </summary>
internal sealed class StateLock(SafeFileHandle? handle) : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    private const int ReadWriteCreateNoFollow = 0x2 | 0x40 | 0x20000 | 0x80000; // O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC
    private const int OwnerReadWrite = 0x180; // 0600
    private const int ExclusiveNonBlocking = 2 | 4; // LOCK_EX | LOCK_NB

    /// <summary>Holds the lock of <paramref name="statesPath"/> (none when it is null or cannot be opened) until disposed.</summary>
    public static async Task<StateLock> TakeAsync(TimeProvider time, string? statesPath, CancellationToken cancellationToken)
    {
        var fd = statesPath is null ? -1 : Open(statesPath + ".lock", ReadWriteCreateNoFollow, OwnerReadWrite);
        if (fd < 0)
        {
            return new StateLock(null);
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var deadline = time.GetUtcNow() + Patience;
        while (Flock(fd, ExclusiveNonBlocking) != 0)
        {
            if (time.GetUtcNow() >= deadline)
            {
                handle.Dispose();
                return new StateLock(null);
            }
            await Task.Delay(Poll, time, cancellationToken).ConfigureAwait(false);
        }
        return new StateLock(handle);
    }

    public void Dispose() => handle?.Dispose();

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int fd, int operation);
}
