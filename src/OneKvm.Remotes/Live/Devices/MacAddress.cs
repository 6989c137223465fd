namespace OneKvm.Remotes.Live.Devices;

/// <summary>
/// MAC addresses as libvirt writes them. Upstream pastes the MAC into a shell
/// command line; here anything but six hex pairs is refused before it goes anywhere.
/// </summary>
internal static class MacAddress
{
    public static bool IsValid(string? text)
    {
        for (var i = 0; text is { Length: 17 } && i < 17; i++)
        {
            if (i % 3 == 2 ? text[i] != ':' : !char.IsAsciiHexDigit(text[i]))
            {
                return false;
            }
        }
        return text is { Length: 17 };
    }

    /// <param name="where">Where the MAC came from, for the error ("given as argument").</param>
    public static string Require(string? text, string where) =>
        IsValid(text)
            ? text!
            : throw new OneKvmException(
                $"The MAC address '{text}' {where} is not valid: expected six pairs of hex digits such as 02:00:c0:a8:01:05.");

    public static bool Same(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
