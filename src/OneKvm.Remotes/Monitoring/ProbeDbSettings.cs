namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The state probe's rules from probe_db.conf, read as upstream's probe_db.rb reads
/// them (<c>&lt;remotes&gt;/etc/im/kvm-probes.d/probe_db.conf</c>, Ruby symbol keys):
/// <c>:times_missing:</c> polls a VM may be missing before it is reported POWEROFF and
/// <c>:obsolete:</c> minutes after which an untouched entry is dropped. Without the file
/// upstream's own defaults apply (3 and 720; the shipped file says 5 and 720). The file's
/// <c>:sync:</c> and <c>:missing_state:</c> never take effect upstream (state.rb passes its
/// own, SYNC_STATE_VM and POWEROFF, over them), so they do not here either.
/// </summary>
internal sealed record ProbeDbSettings(double TimesMissing, double ObsoleteMinutes)
{
    public const string FileName = "probe_db.conf";

    /// <summary>probe_db.rb's defaults, for a missing file or key.</summary>
    public static readonly ProbeDbSettings Defaults = new(3, 720);

    /// <summary>The values of the probe_db.conf upstream ships.</summary>
    public static readonly ProbeDbSettings Shipped = new(5, 720);

    public long ObsoleteSeconds => (long)(ObsoleteMinutes * 60);

    public static ProbeDbSettings Load(string remotesRoot, ILogger log)
    {
        var path = ProbeConfigFile.PathOf(remotesRoot, FileName);
        return From(ProbeConfigFile.Load(path, log), path, log);
    }

    public static ProbeDbSettings From(ProbeYaml yaml, string path, ILogger log) =>
        new(Value(yaml, ":times_missing", Defaults.TimesMissing, path, log),
            Value(yaml, ":obsolete", Defaults.ObsoleteMinutes, path, log));

    private static double Value(ProbeYaml yaml, string key, double fallback, string path, ILogger log)
    {
        try
        {
            return yaml.Number(key) ?? fallback;
        }
        catch (FormatException e)
        {
            log.ProbeConfigValueIgnored(path, e.Message, fallback);
            return fallback;
        }
    }
}
