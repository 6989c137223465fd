using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>When, around its virsh call number N, the wrapper kills onekvm.</summary>
public enum KillMoment
{
    /// <summary>Only record the calls (a dry run that gives the list of steps).</summary>
    Never,

    /// <summary>onekvm dies right before its call N: the real virsh never runs.</summary>
    BeforeCall,

    /// <summary>The real virsh runs call N to its end, then onekvm dies before it hears the answer.</summary>
    AfterCall,

    /// <summary>
    /// onekvm dies 50 ms (ONEKVM_KILL_DURING_DELAY seconds, for tests/soak/kill-campaign.sh) into call N, while the real
    /// virsh (and libvirt's job) still runs; the call goes on without it.
    /// </summary>
    DuringCall,
}

/// <summary>
/// The real virsh behind a wrapper, first on PATH, that numbers and records every call onekvm
/// makes and, on call N, sends SIGKILL to its parent (onekvm) right before or right after the
/// real virsh ran. A dry run (<see cref="KillMoment.Never"/>) gives the list of calls; the kill
/// specs then kill at every one of them.
/// </summary>
internal sealed class KillingVirsh : IDisposable
{
    /// <param name="programs">
    /// The programs onekvm runs that are counted and killed at (virsh alone by default; ssh and rsync for a migration that
    /// copies files): one count over all of them, each call logged as "program args" (virsh's as "args", as before). A call
    /// made by one of them (rsync's ssh) runs the real program, uncounted.
    /// </param>
    public KillingVirsh(int killAt, KillMoment moment, string[]? programs = null, string? duringDelay = null)
    {
        Directory = TestPaths.NewScratchDirectory("killvirsh");
        Log = Path.Combine(Directory, "calls.log");
        var at = moment == KillMoment.Never ? 0 : killAt;
        var before = moment == KillMoment.BeforeCall ? "1" : "0";
        var during = moment == KillMoment.DuringCall ? "1" : "0";
        foreach (var program in programs ?? ["virsh"])
        {
            var logged = program == "virsh" ? "$*" : program + " $*";
            ExecutableFile.Write(Path.Combine(Directory, program), $"""
            #!/bin/bash
            [ -n "$ONEKVM_KILLWRAP_INNER" ] && exec /usr/bin/{program} "$@"
            export ONEKVM_KILLWRAP_INNER=1
            d='{Directory}'
            exec 9>>"$d/lock"; flock 9
            n=$(( $(cat "$d/count" 2>/dev/null || echo 0) + 1 )); echo $n > "$d/count"
            # one line a call, whatever newlines its arguments hold (virsh metadata --set)
            (printf '%s' "{logged}" | tr '\n' ' '; echo) >> '{Log}'
            exec 9>&-
            if [ $n = {at} ] && [ {before} = 1 ]; then echo killed > "$d/killed"; kill -KILL $PPID; exit 137; fi
            if [ $n = {at} ] && [ {during} = 1 ]; then
              # stdin given explicitly: a background job would get /dev/null
              /usr/bin/{program} "$@" <&0 & child=$!
              sleep {duringDelay ?? DuringDelay}
              if kill -0 $child 2>/dev/null; then echo during > "$d/killed"; else echo after > "$d/killed"; fi
              kill -KILL $PPID
              wait $child; status=$?
              echo $status > "$d/orphan-done"
              exit $status
            fi
            /usr/bin/{program} "$@"
            status=$?
            if [ $n = {at} ]; then echo killed > "$d/killed"; kill -KILL $PPID; fi
            exit $status

            """);
        }
    }

    /// <summary>
    /// The kill points of the calls an action made (its dry run): right before and right after each call, and during
    /// those whose verb is long; each with its number (from 1), moment and the word for that moment.
    /// </summary>
    public static IEnumerable<(int N, string Verb, KillMoment Moment, string When)> Points(IReadOnlyList<string> verbs, IReadOnlyCollection<string> longVerbs)
    {
        for (var n = 1; n <= verbs.Count; n++)
        {
            KillMoment[] moments = longVerbs.Contains(verbs[n - 1].Split(' ')[0])
                ? [KillMoment.BeforeCall, KillMoment.DuringCall, KillMoment.AfterCall]
                : [KillMoment.BeforeCall, KillMoment.AfterCall];
            foreach (var moment in moments)
            {
                yield return (n, verbs[n - 1], moment, moment switch { KillMoment.BeforeCall => "before", KillMoment.DuringCall => "during", _ => "after" });
            }
        }
    }

    /// <summary>
    /// What holds right after any kill: onekvm failed, and a call it left running (killed during it) ends with its job, no
    /// later than a minute. Returns what the label of a kill during a call gains (whether the call still ran), else "".
    /// </summary>
    public async Task<string> AssertKilledAsync(ProcessResult killed, KillMoment moment)
    {
        Xunit.Assert.NotEqual(0, killed.ExitCode);
        if (moment != KillMoment.DuringCall)
        {
            return "";
        }
        Xunit.Assert.True(await OrphanEndedAsync(TimeSpan.FromSeconds(60)), "the call left by the killed onekvm still runs after 60 s");
        return $" [{KilledWhen}]";
    }

    /// <summary>Seconds into a call that <see cref="KillMoment.DuringCall"/> kills at.</summary>
    public static string DuringDelay =>
        Environment.GetEnvironmentVariable("ONEKVM_KILL_DURING_DELAY") is { Length: > 0 } d && double.TryParse(d, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? d
            : "0.05";

    public string Directory { get; }

    public string Log { get; }

    /// <summary>The calls made, "verb arg arg..." one a line, in order.</summary>
    public string[] Calls => File.Exists(Log) ? File.ReadAllLines(Log) : [];

    /// <summary>True once the wrapper sent its SIGKILL.</summary>
    public bool Killed => File.Exists(Path.Combine(Directory, "killed"));

    /// <summary>For <see cref="KillMoment.DuringCall"/>: whether the call still ran when onekvm died ("during") or had ended ("after").</summary>
    public string? KilledWhen => Killed ? File.ReadAllText(Path.Combine(Directory, "killed")).Trim() : null;

    /// <summary>
    /// Waits until the call onekvm left behind (the only child it had) has ended: the orphan lives as long as its
    /// libvirt job, no longer. False when it still runs after <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> OrphanEndedAsync(TimeSpan timeout)
    {
        var done = Path.Combine(Directory, "orphan-done");
        var deadline = DateTime.UtcNow + timeout;
        while (!File.Exists(done))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(50);
        }
        return true;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// The kill points of one spec that failed: each is written down and the spec goes on to the next point, so one run names
/// every failing point; the spec fails at the end with all of them.
/// </summary>
internal sealed class KillPointFailures(ITestOutputHelper output)
{
    private readonly List<string> _failures = [];

    public void Add(string label, string why) => _failures.Add($"{label}: {why}");

    /// <param name="step">what ran after the kill ("run again", "next"), with <paramref name="result"/>, null when it did not run</param>
    public void Add(string label, XunitException e, ProcessResult killed, string step, ProcessResult? result)
    {
        Add(label, $"{e.Message}\nkilled: {killed}\n{step}: {result?.ToString() ?? "(not run)"}");
        output.WriteLine($"{label}: FAILED");
    }

    public void AssertNone() => Assert.True(_failures.Count == 0, string.Join("\n\n", _failures));
}

