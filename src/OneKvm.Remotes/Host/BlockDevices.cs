namespace OneKvm.Remotes.Host;

/// <summary>Whether a path is a block device (following links), as `test -b` tells upstream.</summary>
internal static class BlockDevices
{
    public static bool IsBlockDevice(string path) => FileStatus.Of(path)?.Type == FileStatus.BlockDevice;
}
