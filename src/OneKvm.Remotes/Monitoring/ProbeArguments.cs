namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// A probe's host id and host name are its last two arguments: the monitor client
/// passes its own arguments first (e.g. "kvm 3 node1"), as upstream's probes read ARGV[-2..].
/// </summary>
internal static class ProbeArguments
{
    public static (string? HostId, string? Host) Of(ActionArguments arguments)
    {
        string?[] all = [arguments.Optional(ActionParameter.HostId), arguments.Optional(ActionParameter.HostName), .. arguments.Extra];
        var given = all.Where(a => a is not null).ToList();
        return given.Count switch
        {
            0 => (null, null),
            1 => (null, given[0]),
            _ => (given[^2], given[^1]),
        };
    }
}
