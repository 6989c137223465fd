namespace OneKvm.Remotes.Doctor;

/// <summary>
/// <c>onekvm doctor --hosts h1 h2 ...</c> on the front-end: runs <c>onekvm doctor --json</c> of
/// each host's synced tree over ssh (as the user running it, oneadmin), prints each host's
/// findings under its name, and checks that every host runs the front-end's onekvm version.
/// </summary>
internal static class HostsCheck
{
    /// <summary>Where onehost sync puts the remotes on the hosts (oned.conf SCRIPTS_REMOTE_DIR's default).</summary>
    public const string DefaultRemoteDirectory = "/var/tmp/one";

    // the host runs every check, the probes included (30 s at most)
    private static readonly TimeSpan PerHost = TimeSpan.FromSeconds(120);

    public static async Task<IReadOnlyList<Finding>> RunAsync(IReadOnlyList<string> hosts, string remoteDirectory, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        var versions = new List<(string Host, string Version)>();
        foreach (var host in hosts)
        {
            var command = new[] { Path.Combine(remoteDirectory, ActionEntry.BinaryRemotesPath), DoctorCommand.Name, "--json" };
            ProgramResult result;
            try
            {
                result = await ProgramRunner.Default.RunAsync(RemoteShell.Command(host, command, TimeSpan.FromSeconds(10))
                    .WithLabel($"ssh {host} onekvm doctor").WithDeadline(PerHost), cancellationToken).ConfigureAwait(false);
            }
            catch (OneKvmException e)
            {
                findings.Add(Unreachable(host, e.Message));
                continue;
            }
            if (Parse(result.StandardOutput) is not { } report)
            {
                findings.Add(Unreachable(host, $"no report from onekvm doctor (exit {result.ExitCode}): {result.Reason()}"));
                continue;
            }
            versions.Add((host, report.Version));
            findings.AddRange(report.Findings.Select(f => f with { Area = $"{host} {f.Area}" }));
        }
        findings.Add(CompareVersions(ToolCommand.Version, versions));
        return findings;
    }

    /// <summary>Every host checked runs the front-end's version (onehost sync pushes it).</summary>
    public static Finding CompareVersions(string frontEnd, IReadOnlyList<(string Host, string Version)> versions)
    {
        var differing = versions.Where(v => v.Version != frontEnd).ToList();
        return differing.Count == 0
            ? Finding.Ok("hosts", $"onekvm {frontEnd} on the front-end and on every host that answered ({string.Join(", ", versions.Select(v => v.Host))})")
            : Finding.Fail("hosts", $"the front-end has onekvm {frontEnd}, but {string.Join(", ", differing.Select(v => $"{v.Host} has {v.Version}"))}",
                "onehost sync --force");
    }

    /// <summary>The version and findings of one host's JSON report; null when it is not one.</summary>
    public static (string Version, IReadOnlyList<Finding> Findings)? Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var findings = root.GetProperty("checks").EnumerateArray().Select(c => new Finding(
                c.GetProperty("area").GetString() ?? "",
                c.GetProperty("status").GetString() switch { "OK" => Verdict.Ok, "WARN" => Verdict.Warn, _ => Verdict.Fail },
                c.GetProperty("message").GetString() ?? "",
                c.TryGetProperty("remedy", out var remedy) ? remedy.GetString() : null)).ToList();
            return (root.GetProperty("version").GetString() ?? "?", findings);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private static Finding Unreachable(string host, string reason) =>
        Finding.Fail($"{host}", $"onekvm doctor did not run there: {OneLine(reason)}",
            "check that this user reaches it with ssh without a password (as onehost sync does), then onehost sync --force");

    private static string OneLine(string text) => string.Join(' ', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
