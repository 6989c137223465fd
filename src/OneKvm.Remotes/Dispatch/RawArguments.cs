using System.Text.Unicode;

namespace OneKvm.Remotes.Dispatch;

/// <summary>
/// .NET hands Main its arguments decoded from UTF-8 with every invalid byte replaced (U+FFFD), so a
/// domain name or a checkpoint path with such a byte would silently become another one. The bytes
/// the kernel keeps (/proc/self/cmdline) are checked instead, and such an argument is refused.
/// </summary>
internal static class RawArguments
{
    public const string CommandLine = "/proc/self/cmdline";

    /// <summary>Throws <see cref="UsageException"/> for the first argument (after argv[0]) that is not valid UTF-8.</summary>
    public static void EnsureUtf8(string path = CommandLine)
    {
        byte[] raw;
        try
        {
            raw = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // no procfs: nothing to compare with
            return;
        }
        var arguments = Split(raw);
        for (var n = 1; n < arguments.Count; n++)
        {
            if (!Utf8.IsValid(arguments[n]))
            {
                throw new UsageException(
                    $"Argument {n} is not valid UTF-8 (it would read '{Encoding.UTF8.GetString(arguments[n])}'); a name or path must reach libvirt as it was given.");
            }
        }
    }

    /// <summary>The arguments of a NUL-terminated argv (as /proc/self/cmdline holds it), argv[0] first.</summary>
    public static List<byte[]> Split(ReadOnlySpan<byte> cmdline)
    {
        var arguments = new List<byte[]>();
        while (cmdline.Length > 0)
        {
            var end = cmdline.IndexOf((byte)0);
            arguments.Add((end < 0 ? cmdline : cmdline[..end]).ToArray());
            cmdline = end < 0 ? [] : cmdline[(end + 1)..];
        }
        return arguments;
    }
}
