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
        string? text;
        try
        {
            // a FIFO, a device or a huge file is no configuration: refused at once, never waited on
            text = RegularFile.TryReadText(path, "the probe configuration");
        }
        catch (OneKvmException e)
        {
            log.ProbeConfigIgnored(path, e.Message.TrimEnd('.'));
            return ProbeYaml.Empty;
        }
        if (text is null)
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
}
