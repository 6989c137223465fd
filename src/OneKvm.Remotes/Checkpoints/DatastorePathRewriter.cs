namespace OneKvm.Remotes.Checkpoints;

/// <summary>
/// After a system datastore migration the saved domain XML still names the VM's
/// old directory (<c>&lt;datastores&gt;/&lt;old_ds&gt;/&lt;vm_id&gt;/disk.0</c>). Like upstream's
/// restore, every <c>&lt;datastores&gt;/&lt;digits&gt;/&lt;vm_id&gt;/</c> becomes the checkpoint's
/// datastore, whether the saved path has the double slash or not. Unlike upstream's
/// sed over the text, only attribute values and text nodes change (markup and
/// escaping stay intact), and a path that ends at the VM directory (the
/// system_datastore metadata) follows the migration too.
/// </summary>
internal sealed class DatastorePathRewriter(CheckpointLocation location, string vmId)
{
    private readonly string[] _prefixes =
        new[] { location.DatastoresDirectory, PosixPath.CollapseSlashes(location.DatastoresDirectory) }
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(p => p.Length)
            .Select(p => p + "/")
            .ToArray();

    private readonly string _vmSegment = "/" + vmId;
    private readonly string _replacement = $"{location.DatastoresDirectory}/{location.DatastoreId}/{vmId}";

    /// <summary>Rewrites the domain in place; answers how many values changed.</summary>
    public int Rewrite(XElement domain)
    {
        var changed = 0;
        foreach (var element in domain.DescendantsAndSelf())
        {
            foreach (var attribute in element.Attributes())
            {
                attribute.Value = Count(Rewrite(attribute.Value), attribute.Value);
            }
            foreach (var text in element.Nodes().OfType<XText>())
            {
                text.Value = Count(Rewrite(text.Value), text.Value);
            }
        }
        return changed;

        string Count(string value, string old)
        {
            changed += ReferenceEquals(value, old) ? 0 : 1;
            return value;
        }
    }

    /// <summary>The value with every old VM directory replaced; the same instance when nothing matched.</summary>
    public string Rewrite(string value)
    {
        StringBuilder? rewritten = null;
        var copied = 0;
        var i = 0;
        while (i < value.Length)
        {
            var end = MatchAt(value, i);
            if (end < 0)
            {
                i++;
                continue;
            }
            rewritten ??= new StringBuilder(value.Length + 16);
            rewritten.Append(value, copied, i - copied).Append(_replacement);
            copied = i = end;
        }
        return rewritten is null ? value : rewritten.Append(value, copied, value.Length - copied).ToString();
    }

    /// <summary>The end of "&lt;prefix&gt;&lt;digits&gt;/&lt;vm_id&gt;" starting at <paramref name="start"/> when followed by '/' or the end; else -1.</summary>
    private int MatchAt(string value, int start)
    {
        foreach (var prefix in _prefixes.Where(prefix => value.AsSpan(start).StartsWith(prefix, StringComparison.Ordinal)))
        {
            var digits = start + prefix.Length;
            var end = digits;
            while (end < value.Length && char.IsAsciiDigit(value[end]))
            {
                end++;
            }
            if (end == digits || !value.AsSpan(end).StartsWith(_vmSegment, StringComparison.Ordinal))
            {
                continue;
            }
            end += _vmSegment.Length;
            if (end == value.Length || value[end] == '/')
            {
                return end;
            }
        }
        return -1;
    }
}
