using System.Runtime.InteropServices;

namespace OneKvm.Remotes.Host;

/// <summary>
/// Whether a path is a block device (following links), as `test -b` tells upstream:
/// .NET has no managed API for a file's type, so one statx(2) call reads it.
/// </summary>
internal static class BlockDevices
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28;
    private const int StatxSize = 256;
    private const int FileTypeMask = 0xF000;
    private const int BlockDeviceType = 0x6000;

    public static bool IsBlockDevice(string path)
    {
        var buffer = new byte[StatxSize];
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
            {
                return false;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        return (BitConverter.ToUInt16(buffer, StatxModeOffset) & FileTypeMask) == BlockDeviceType;
    }

    [DllImport("libc", EntryPoint = "statx")]
    private static extern int Statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
