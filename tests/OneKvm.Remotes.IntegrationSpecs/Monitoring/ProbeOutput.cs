using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Monitoring;

/// <summary>One VM line of the monitor probe, MONITOR decoded into its KEY="value" pairs.</summary>
public sealed record MonitorReport(int Id, string DeployId, IReadOnlyDictionary<string, string> Values)
{
    public long Long(string key) => long.Parse(Values[key], System.Globalization.CultureInfo.InvariantCulture);

    public double Cpu => double.Parse(Values["CPU"], System.Globalization.CultureInfo.InvariantCulture);

    public double Double(string key) => double.Parse(Values[key], System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One VM line of the state probe.</summary>
public sealed record StateReport(int Id, string DeployId, string State);

/// <summary>Reads what the probes print, strictly: every stdout line must have the documented form.</summary>
public static partial class ProbeOutput
{
    public const string MonitorProbe = "im/kvm-probes.d/vm/monitor/vm_monitor";
    public const string StateProbe = "im/kvm-probes.d/vm/status/vm_state";

    [GeneratedRegex("^VM = \\[ ID=\"(\\d+)\", DEPLOY_ID=\"([0-9a-f-]{36})\", MONITOR=\"([A-Za-z0-9+/=]*)\" \\]$")]
    private static partial Regex MonitorLine();

    [GeneratedRegex("^VM = \\[ ID=\"(\\d+)\", DEPLOY_ID=\"([0-9a-f-]{36})\", STATE=\"(RUNNING|POWEROFF|SUSPENDED|FAILURE|UNKNOWN)\" \\]$")]
    private static partial Regex StateLine();

    // keys with underscores (OS_ID, GPU_COUNT) and values with escaped quotes (the guest agent's answers)
    [GeneratedRegex("^([A-Z0-9_]+)=\"((?:[^\"\\\\]|\\\\.)*)\"$")]
    private static partial Regex MonitorValue();

    public static IReadOnlyList<MonitorReport> Monitor(string stdout) =>
        Lines(stdout).Select(line =>
        {
            var m = MonitorLine().Match(line);
            Assert.True(m.Success, $"not a monitor line: '{line}'");
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[3].Value));
            Assert.EndsWith("\n", decoded);
            var values = decoded.TrimEnd('\n').Split('\n').Select(v =>
            {
                var kv = MonitorValue().Match(v);
                Assert.True(kv.Success, $"not a KEY=\"value\" line in MONITOR: '{v}'");
                return KeyValuePair.Create(kv.Groups[1].Value, kv.Groups[2].Value);
            });
            return new MonitorReport(int.Parse(m.Groups[1].Value), m.Groups[2].Value, new Dictionary<string, string>(values));
        }).ToList();

    /// <summary>The VM lines and whether the report began with SYNC_STATE=yes / MISSING_STATE=POWEROFF.</summary>
    public static (bool Sync, IReadOnlyList<StateReport> Vms) States(string stdout)
    {
        var lines = Lines(stdout);
        var sync = lines.Count >= 2 && lines[0] == "SYNC_STATE=yes" && lines[1] == "MISSING_STATE=POWEROFF";
        var vms = lines.Skip(sync ? 2 : 0).Select(line =>
        {
            var m = StateLine().Match(line);
            Assert.True(m.Success, $"not a state line: '{line}'");
            return new StateReport(int.Parse(m.Groups[1].Value), m.Groups[2].Value, m.Groups[3].Value);
        }).ToList();
        return (sync, vms);
    }

    private static List<string> Lines(string stdout)
    {
        Assert.True(stdout.Length == 0 || stdout.EndsWith('\n'), "the last line must end with a newline");
        return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }
}
