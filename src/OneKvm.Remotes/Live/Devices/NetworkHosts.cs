namespace OneKvm.Remotes.Live.Devices;

/// <summary>
/// The &lt;host&gt; elements of a network disk from CEPH_HOST, GLUSTER_HOST, ... : a
/// blank-separated list of host or host:port. Upstream splits on every ':', which
/// breaks IPv6 addresses; here [addr]:port and a bare IPv6 address work too.
/// </summary>
internal static class NetworkHosts
{
    public static IEnumerable<XElement> Parse(string? hosts, string? transport = null)
    {
        foreach (var entry in (hosts ?? "").Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, port) = Split(entry);
            yield return new XElement("host",
                new XAttribute("name", name),
                port is null ? null : new XAttribute("port", port),
                transport is null ? null : new XAttribute("transport", transport));
        }
    }

    private static (string Name, string? Port) Split(string entry)
    {
        if (entry.StartsWith('[') && entry.IndexOf(']', StringComparison.Ordinal) is var close and > 0)
        {
            var rest = entry[(close + 1)..];
            return (entry[1..close], rest.StartsWith(':') && rest.Length > 1 ? rest[1..] : null);
        }
        var colon = entry.IndexOf(':', StringComparison.Ordinal);
        // no port, or an IPv6 address without brackets: the entry is the name
        return colon < 0 || entry.IndexOf(':', colon + 1) >= 0
            ? (entry, null)
            : (entry[..colon], colon + 1 < entry.Length ? entry[(colon + 1)..] : null);
    }
}
