namespace OneKvm.Remotes.Monitoring;

/// <summary>One forecast of forecast.conf: whether it runs, how far ahead and over how much history (minutes).</summary>
internal sealed record ForecastWindow(bool Enabled, double PeriodMinutes, double LookbackMinutes)
{
    /// <summary>What upstream's prediction.py makes of a window the file's section leaves out.</summary>
    public static readonly ForecastWindow Unstated = new(true, 15, 60);

    public static readonly ForecastWindow Off = new(false, 15, 60);
}

/// <summary>
/// The <c>virtualmachine:</c> section of <c>&lt;remotes&gt;/etc/im/kvm-probes.d/forecast.conf</c>,
/// read as upstream's prediction.py reads it: <c>db_retention</c> (weeks, 4 when absent),
/// <c>forecast</c> and <c>forecast_far</c> (<c>enabled</c>, <c>period</c>, <c>lookback</c>; a
/// window the section leaves out is enabled with 15 and 60 minutes). Without the file, or
/// without a <c>virtualmachine:</c> section, upstream forecasts nothing and keeps 4 weeks
/// of history. Also the monitor interval (MONITOR_VM, 30 s by default) from the
/// configuration the monitor client saves as <c>/var/tmp/one_db/config</c>.
/// </summary>
internal sealed record ForecastSettings(double RetentionWeeks, ForecastWindow Near, ForecastWindow Far, int MonitorIntervalSeconds)
{
    public const string FileName = "forecast.conf";
    public const double DefaultRetentionWeeks = 4;
    public const int DefaultMonitorInterval = 30;

    public static readonly ForecastSettings None = new(DefaultRetentionWeeks, ForecastWindow.Off, ForecastWindow.Off, DefaultMonitorInterval);

    public static ForecastSettings Load(string remotesRoot, string metricsDirectory, ILogger log)
    {
        var path = ProbeConfigFile.PathOf(remotesRoot, FileName);
        return From(ProbeConfigFile.Load(path, log), path, log) with { MonitorIntervalSeconds = MonitorInterval(metricsDirectory, log) };
    }

    public static ForecastSettings From(ProbeYaml yaml, string path, ILogger log)
    {
        const string section = "virtualmachine";
        if (!yaml.Has(section))
        {
            return None;
        }
        try
        {
            return new ForecastSettings(
                yaml.Number(section + ".db_retention") ?? DefaultRetentionWeeks,
                Window(yaml, section + ".forecast"),
                Window(yaml, section + ".forecast_far"),
                DefaultMonitorInterval);
        }
        catch (FormatException e)
        {
            // prediction.py stops at such a value: no forecast
            log.ProbeConfigIgnored(path, e.Message);
            return None;
        }
    }

    private static ForecastWindow Window(ProbeYaml yaml, string path)
    {
        if (!yaml.Has(path))
        {
            return ForecastWindow.Unstated;
        }
        var window = new ForecastWindow(yaml.Flag(path + ".enabled") ?? true, yaml.Number(path + ".period") ?? 15,
            yaml.Number(path + ".lookback") ?? 60);
        return window.PeriodMinutes > 0 && window.LookbackMinutes > 0
            ? window
            : throw new FormatException($"{path} needs a period and a lookback above 0 minutes");
    }

    /// <summary>
    /// PROBES_PERIOD/MONITOR_VM of the monitor client's saved configuration, else 30 s. A file that
    /// is no regular file or too large (a FIFO, a link to /dev/zero) is refused at once with one WARN line.
    /// </summary>
    private static int MonitorInterval(string metricsDirectory, ILogger log)
    {
        const string what = "the monitor configuration";
        var text = ProbeConfigFile.Read(Path.Combine(metricsDirectory, "config"), what, log);
        return ProbeConfigFile.ProbesPeriod(text, "MONITOR_VM", what) is > 0 and var seconds ? seconds : DefaultMonitorInterval;
    }
}
