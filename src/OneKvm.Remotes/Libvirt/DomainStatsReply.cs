namespace OneKvm.Remotes.Libvirt;

/// <summary>One domain's record of CONNECT_GET_ALL_DOMAIN_STATS: its name and its typed parameters in order.</summary>
internal sealed record DomainStatsRecord(string Name, IReadOnlyList<TypedParameter> Parameters);

/// <summary>
/// A typed parameter with its value as text, written as <c>virsh domstats</c> prints it
/// (virTypedParameterToString): integers in decimal, doubles with six decimals, booleans
/// as yes/no, strings as they are.
/// </summary>
internal readonly record struct TypedParameter(string Field, string Value);

/// <summary>
/// Reads remote_connect_get_all_domain_stats_ret (src/remote/remote_protocol.x):
/// an array of records, each a remote_nonnull_domain (name, 16-byte UUID, id) and an
/// array of remote_typed_param (field name, then a union on the type: 1 int, 2 unsigned
/// int, 3 hyper, 4 unsigned hyper, 5 double, 6 boolean as int, 7 string).
/// </summary>
internal static class DomainStatsReply
{
    private const int MinDomainBytes = 4 + RemoteLimits.UuidBytes + 4;
    private const int MinParameterBytes = 4 + 4 + 4;

    public static IReadOnlyList<DomainStatsRecord> Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new XdrReader(payload);
        var count = reader.ReadCount(RemoteLimits.DomainListMax, MinDomainBytes + 4, "domain record");
        var records = new List<DomainStatsRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString(RemoteLimits.StringMax, "domain name");
            reader.Skip(RemoteLimits.UuidBytes + 4);
            var parameterCount = reader.ReadCount(RemoteLimits.StatsParamsMax, MinParameterBytes, "statistic");
            var parameters = new List<TypedParameter>(parameterCount);
            for (var p = 0; p < parameterCount; p++)
            {
                var field = reader.ReadString(RemoteLimits.StringMax, "statistic name");
                parameters.Add(new TypedParameter(field, Value(ref reader)));
            }
            records.Add(new DomainStatsRecord(name, parameters));
        }
        if (reader.Remaining != 0)
        {
            throw new RemoteProtocolException($"the daemon's statistics reply has {reader.Remaining} bytes after its records");
        }
        return records;
    }

    private static string Value(ref XdrReader reader)
    {
        var type = reader.ReadInt32();
        return type switch
        {
            1 => reader.ReadInt32().ToString(CultureInfo.InvariantCulture),
            2 => reader.ReadUInt32().ToString(CultureInfo.InvariantCulture),
            3 => reader.ReadInt64().ToString(CultureInfo.InvariantCulture),
            4 => reader.ReadUInt64().ToString(CultureInfo.InvariantCulture),
            5 => reader.ReadDouble().ToString("F6", CultureInfo.InvariantCulture),
            6 => reader.ReadInt32() != 0 ? "yes" : "no",
            7 => reader.ReadString(RemoteLimits.StringMax, "statistic value"),
            _ => throw new RemoteProtocolException($"the daemon sent a statistic of unknown type {type}"),
        };
    }
}
