using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.TestDocuments;

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
    public KillingVirsh(int killAt, KillMoment moment)
    {
        Directory = TestPaths.NewScratchDirectory("killvirsh");
        Log = Path.Combine(Directory, "calls.log");
        var at = moment == KillMoment.Never ? 0 : killAt;
        var before = moment == KillMoment.BeforeCall ? "1" : "0";
        var during = moment == KillMoment.DuringCall ? "1" : "0";
        ExecutableFile.Write(Path.Combine(Directory, "virsh"), $"""
            #!/bin/bash
            d='{Directory}'
            exec 9>>"$d/lock"; flock 9
            n=$(( $(cat "$d/count" 2>/dev/null || echo 0) + 1 )); echo $n > "$d/count"
            echo "$*" >> '{Log}'
            exec 9>&-
            if [ $n = {at} ] && [ {before} = 1 ]; then echo killed > "$d/killed"; kill -KILL $PPID; exit 137; fi
            if [ $n = {at} ] && [ {during} = 1 ]; then
              # stdin given explicitly: a background job would get /dev/null
              /usr/bin/virsh "$@" <&0 & child=$!
              sleep {DuringDelay}
              if kill -0 $child 2>/dev/null; then echo during > "$d/killed"; else echo after > "$d/killed"; fi
              kill -KILL $PPID
              wait $child; status=$?
              echo $status > "$d/orphan-done"
              exit $status
            fi
            /usr/bin/virsh "$@"
            status=$?
            if [ $n = {at} ]; then echo killed > "$d/killed"; kill -KILL $PPID; fi
            exit $status

            """);
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
