using OneKvm.Remotes.Libvirt;

namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// Reads what <c>virsh domstats</c> prints: a <c>Domain: 'name'</c> line per domain,
/// then indented <c>key=value</c> fields. Only the fields the probes use are kept;
/// unknown or malformed lines are skipped, so a newer libvirt adding fields changes nothing.
/// </summary>
internal static class DomStatsOutput
{
    private const string DomainPrefix = "Domain: '";

    public static IReadOnlyList<DomainStats> Parse(string text)
    {
        var domains = new List<Builder>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith(DomainPrefix, StringComparison.Ordinal) && line.EndsWith('\'') && line.Length > DomainPrefix.Length)
            {
                domains.Add(new Builder(line[DomainPrefix.Length..^1]));
            }
            else if (domains.Count > 0)
            {
                domains[^1].AddField(line);
            }
        }
        return [.. domains.Select(d => d.Build())];
    }

    /// <summary>
    /// The same records from libvirt's typed parameters (the native client's answer): each parameter
    /// taken as virsh prints it, <c>field=value</c>, so both paths keep and skip the same fields.
    /// </summary>
    public static IReadOnlyList<DomainStats> FromRecords(IEnumerable<DomainStatsRecord> records) =>
        [.. records.Select(r => r.Parameters.Aggregate(new Builder(r.Name), (b, p) => b.AddField(p.Field + "=" + p.Value)).Build())];

    private sealed class Builder(string name)
    {
        private int _state = -1;
        private int _reason = -1;
        private long _netRx, _netTx, _rdBytes, _wrBytes, _rdReqs, _wrReqs;

        /// <summary>One <c>key=value</c> line; one whose value is not a non-negative integer is skipped.</summary>
        public Builder AddField(string line)
        {
            var field = line.Trim();
            var equals = field.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !long.TryParse(field.AsSpan(equals + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return this;
            }
            var key = field[..equals];
            switch (key)
            {
                case "state.state":
                    _state = (int)Math.Clamp(value, int.MinValue, int.MaxValue);
                    break;
                case "state.reason":
                    _reason = (int)Math.Clamp(value, int.MinValue, int.MaxValue);
                    break;
            }
            // net.<i>.rx.bytes, block.<i>.rd.reqs, ...: summed over every device
            switch (Indexed(key, "net."))
            {
                case "rx.bytes": _netRx += value; break;
                case "tx.bytes": _netTx += value; break;
            }
            switch (Indexed(key, "block."))
            {
                case "rd.bytes": _rdBytes += value; break;
                case "wr.bytes": _wrBytes += value; break;
                case "rd.reqs": _rdReqs += value; break;
                case "wr.reqs": _wrReqs += value; break;
            }
            return this;
        }

        public DomainStats Build() =>
            new(name, _state, _reason, new IoCounters(_netRx, _netTx, _rdBytes, _wrBytes, _rdReqs, _wrReqs));

        /// <summary>"rx.bytes" for "net.3.rx.bytes" (prefix "net."); null for "net.count" or another group.</summary>
        private static string? Indexed(string key, string prefix)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return null;
            }
            var rest = key.AsSpan(prefix.Length);
            var dot = rest.IndexOf('.');
            return dot > 0 && int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out _)
                ? rest[(dot + 1)..].ToString()
                : null;
        }
    }
}
