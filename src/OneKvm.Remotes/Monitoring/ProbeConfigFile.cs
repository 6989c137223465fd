namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The probes' configuration files, where upstream's probes read them:
/// <c>&lt;remotes&gt;/etc/im/kvm-probes.d/&lt;name&gt;</c>. A missing file is upstream's
/// defaults, silently (upstream's probes rescue the failed load); a file that cannot
/// be read or parsed (a FIFO, a device, over 16 MiB too) is upstream's defaults, with one WARN line saying so.
/// </summary>
internal static class ProbeConfigFile
{
    public const string Directory = "etc/im/kvm-probes.d";

    public static string PathOf(string remotesRoot, string name) => Path.Combine(remotesRoot, Directory, name);

    public static ProbeYaml Load(string path, ILogger log)
    {
        if (Read(path, "the probe configuration", log) is not { } text)
        {
            return ProbeYaml.Empty;
        }
        try
        {
            return ProbeYaml.Parse(text);
        }
        catch (FormatException e)
        {
            log.ProbeConfigIgnored(path, e.Message);
            return ProbeYaml.Empty;
        }
    }

    /// <summary>The file's text; null when it is missing, or refused with one WARN line.</summary>
    public static string? Read(string path, string what, ILogger log)
    {
        try
        {
            // a FIFO, a device or a huge file is no configuration: refused at once, never waited on
            return RegularFile.TryReadText(path, what);
        }
        catch (OneKvmException e)
        {
            log.ProbeConfigIgnored(path, e.Message.TrimEnd('.'));
            return null;
        }
    }

    /// <summary>PROBES_PERIOD/&lt;name&gt; of a monitor configuration (XML), a whole number; null when absent or unreadable.</summary>
    public static int? ProbesPeriod(string? configuration, string name, string what)
    {
        // most configurations have no such element: no XML parsed for them
        if (configuration is null || !configuration.Contains(name, StringComparison.Ordinal))
        {
            return null;
        }
        try
        {
            var text = SafeXml.Parse(configuration, what).Root?.Element("PROBES_PERIOD")?.Element(name)?.Value.Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
        }
        catch (OneKvmException)
        {
            return null;
        }
    }
}
