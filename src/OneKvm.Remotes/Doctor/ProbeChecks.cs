using OneKvm.Remotes.Monitoring;

namespace OneKvm.Remotes.Doctor;

/// <summary>
/// The monitor probes, run through their entries as the monitor daemon runs them, each within
/// its period (monitord.conf's defaults: STATE_VM 5 s, MONITOR_VM 30 s), against the
/// OpenNebula domains present. They keep their state and metric history in a private directory
/// for this run, so that the doctor never takes a state change away from the real monitor nor
/// adds a sample to a VM's history.
/// </summary>
internal static class ProbeChecks
{
    private const string Area = "probes";

    private static readonly (string Name, TimeSpan Period, string Setting)[] Probes =
    [
        ("vm_state", TimeSpan.FromSeconds(5), "STATE_VM"),
        ("vm_monitor", TimeSpan.FromSeconds(30), "MONITOR_VM"),
    ];

    public static async Task<IReadOnlyList<Finding>> RunAsync(string root, IReadOnlyList<ActionEntry> actions, VirshRunner virsh, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        var present = await OneDomainsAsync(virsh, cancellationToken).ConfigureAwait(false);
        var stateDirectory = Directory.CreateTempSubdirectory("onekvm-doctor-");
        try
        {
            foreach (var (name, period, setting) in Probes)
            {
                var entry = actions.First(e => e.Name == name);
                findings.Add(await RunProbeAsync(Path.Combine(root, entry.RemotesPath), name, period, setting, stateDirectory.FullName, present, cancellationToken)
                    .ConfigureAwait(false));
            }
        }
        finally
        {
            stateDirectory.Delete(recursive: true);
        }
        return findings;
    }

    private static async Task<Finding> RunProbeAsync(string path, string name, TimeSpan period, string setting, string stateDirectory,
        int? present, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return Finding.Fail(Area, $"{name}: no entry at {path}", "reinstall onekvm-remotes, then onehost sync --force");
        }
        var started = TimeProvider.System.GetTimestamp();
        ProgramResult result;
        try
        {
            var command = ProgramCommand.Tool(path, "-1", Environment.MachineName).WithLabel(name).WithDeadline(period)
                .WithEnvironment([new(RuntimeDirectory.OverrideVariable, stateDirectory),
                    new(MetricHistory.DirectoryVariable, Path.Combine(stateDirectory, "one_db"))]);
            result = await ProgramRunner.Default.RunAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (OneKvmException e)
        {
            return Finding.Fail(Area, $"{name}: {e.Message}", $"the monitor daemon expects an answer every {period.TotalSeconds:0} s ({setting}); check libvirtd");
        }
        var elapsed = TimeProvider.System.GetElapsedTime(started);
        if (result.ExitCode != 0)
        {
            return Finding.Fail(Area, $"{name} failed (exit {result.ExitCode}): {result.Reason()}", "run it by hand to see its log lines");
        }
        var reported = result.StandardOutput.Split('\n').Count(l => l.StartsWith("VM", StringComparison.Ordinal));
        var text = $"{name} answered in {elapsed.TotalMilliseconds:0} ms (period {period.TotalSeconds:0} s), {reported} VM(s) for {(present is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?")} OpenNebula domain(s) present";
        return present is { } count && reported != count
            ? Finding.Warn(Area, text, "a VM the probe does not report is shown as missing (POWEROFF) by OpenNebula; check its domain name (one-<id>)")
            : Finding.Ok(Area, text);
    }

    private static async Task<int?> OneDomainsAsync(VirshRunner virsh, CancellationToken cancellationToken)
    {
        try
        {
            return (await OneDomains.NamesAsync(virsh, cancellationToken).ConfigureAwait(false))?.Count;
        }
        catch (OneKvmException)
        {
            return null;
        }
    }
}
