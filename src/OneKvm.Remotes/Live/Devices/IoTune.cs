namespace OneKvm.Remotes.Live.Devices;

/// <summary>
/// The &lt;iotune&gt; of a disk from the TOTAL/READ/WRITE _BYTES/_IOPS _SEC, _SEC_MAX,
/// _SEC_MAX_LENGTH and SIZE_IOPS_SEC attributes, each filled from its
/// DEFAULT_ATTACH_* when the disk lacks it. Upstream's rules: a total limit excludes
/// read/write limits of the same kind (libvirt refuses both); a burst (_MAX) is written
/// only when it is above its base rate (0 when unset), its length only with it; the
/// size of an I/O counts only with an IOPS limit; length or size alone write nothing.
/// One rule is upstream's done better: a disk that sets its own read/write limits of a
/// kind keeps them instead of losing them to a kvmrc total default of that kind.
/// </summary>
internal static class IoTune
{
    private static readonly string[] Kinds = ["BYTES", "IOPS"];

    /// <param name="own">The disk's own value of an attribute (e.g. "READ_BYTES_SEC").</param>
    /// <param name="fallback">The kvmrc default of an attribute.</param>
    public static XElement? Build(Func<string, long?> own, Func<string, long?> fallback)
    {
        var iotune = new XElement("iotune");
        var iopsLimited = false;
        foreach (var kind in Kinds)
        {
            var value = Merge(kind, own, fallback);
            if (value($"TOTAL_{kind}_SEC") is not null || value($"TOTAL_{kind}_SEC_MAX") is not null)
            {
                AddGroup(iotune, $"TOTAL_{kind}", value);
            }
            else
            {
                AddGroup(iotune, $"READ_{kind}", value);
                AddGroup(iotune, $"WRITE_{kind}", value);
            }
            iopsLimited |= kind == "IOPS" && new[] { "TOTAL", "READ", "WRITE" }.Any(group => value($"{group}_IOPS_SEC") is not null);
        }
        if (!iotune.HasElements)
        {
            return null;
        }
        if (iopsLimited && (own("SIZE_IOPS_SEC") ?? fallback("SIZE_IOPS_SEC")) is { } size)
        {
            iotune.Add(new XElement("size_iops_sec", size));
        }
        return iotune;
    }

    /// <summary>Per attribute, the disk's value or the default; a kvmrc TOTAL never displaces the disk's own READ/WRITE.</summary>
    private static Func<string, long?> Merge(string kind, Func<string, long?> own, Func<string, long?> fallback)
    {
        var ownTotal = own($"TOTAL_{kind}_SEC") is not null || own($"TOTAL_{kind}_SEC_MAX") is not null;
        var ownReadWrite = new[] { "READ", "WRITE" }.Any(d => own($"{d}_{kind}_SEC") is not null || own($"{d}_{kind}_SEC_MAX") is not null);
        var skipDefaultTotal = ownReadWrite && !ownTotal;
        return name => own(name) ?? (skipDefaultTotal && name.StartsWith("TOTAL_", StringComparison.Ordinal) ? null : fallback(name));
    }

    /// <summary>One group: TOTAL_BYTES becomes total_bytes_sec, total_bytes_sec_max, total_bytes_sec_max_length.</summary>
    private static void AddGroup(XElement iotune, string group, Func<string, long?> value)
    {
        var element = group.ToLowerInvariant() + "_sec";
        var rate = value($"{group}_SEC");
        var burst = value($"{group}_SEC_MAX");
        if (rate is not null)
        {
            iotune.Add(new XElement(element, rate));
        }
        if (burst > (rate ?? 0))
        {
            iotune.Add(new XElement(element + "_max", burst),
                value($"{group}_SEC_MAX_LENGTH") is { } length ? new XElement(element + "_max_length", length) : null);
        }
    }
}
