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
        ExecutableFile.Write(Path.Combine(Directory, "virsh"), $"""
            #!/bin/bash
            d='{Directory}'
            exec 9>>"$d/lock"; flock 9
            n=$(( $(cat "$d/count" 2>/dev/null || echo 0) + 1 )); echo $n > "$d/count"
            echo "$*" >> '{Log}'
            exec 9>&-
            if [ $n = {at} ] && [ {before} = 1 ]; then echo killed > "$d/killed"; kill -KILL $PPID; exit 137; fi
            /usr/bin/virsh "$@"
            status=$?
            if [ $n = {at} ]; then echo killed > "$d/killed"; kill -KILL $PPID; fi
            exit $status

            """);
    }

    public string Directory { get; }

    public string Log { get; }

    /// <summary>The calls made, "verb arg arg..." one a line, in order.</summary>
    public string[] Calls => File.Exists(Log) ? File.ReadAllLines(Log) : [];

    /// <summary>True once the wrapper sent its SIGKILL.</summary>
    public bool Killed => File.Exists(Path.Combine(Directory, "killed"));

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
