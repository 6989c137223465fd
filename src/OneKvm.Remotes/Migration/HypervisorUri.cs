using System.Net;
using System.Net.Sockets;

namespace OneKvm.Remotes.Migration;

/// <summary>
/// The libvirt URI of another host: QEMU_PROTOCOL://&lt;host&gt;/system, as upstream builds
/// it for migrations. Host names come from oned's arguments and end up in a URI and on
/// ssh's command line, so they are checked first: a name starting with '-' would be an
/// ssh option, and '/', '?', '#' or a blank would change what the URI means.
/// </summary>
internal static class HypervisorUri
{
    public static string For(string protocol, string host)
    {
        // a libvirt transport such as qemu+ssh, qemu+tcp or qemu+tls
        if (protocol.Length == 0 || !char.IsAsciiLetter(protocol[0]) || !protocol.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
        {
            throw new OneKvmException(
                $"QEMU_PROTOCOL=\"{OneLogFormatter.Printable(protocol)}\" is not valid: expected a libvirt transport such as qemu+ssh or qemu+tcp.");
        }
        CheckHost(host);
        // an IPv6 literal needs brackets in a URI (upstream left it bare, which libvirt cannot parse)
        var authority = IPAddress.TryParse(host, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{host}]"
            : host;
        return $"{protocol}://{authority}/system";
    }

    /// <summary>Throws a UsageException when <paramref name="host"/> cannot be a host name.</summary>
    public static string CheckHost(string host)
    {
        if (host.Length == 0 || host[0] == '-' || host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '?' or '#' or '\'' or '"' or '\\'))
        {
            throw new UsageException($"'{OneLogFormatter.Printable(host)}' is not a host name.");
        }
        return host;
    }
}
