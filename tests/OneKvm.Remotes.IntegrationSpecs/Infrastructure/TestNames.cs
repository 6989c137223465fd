using System.Diagnostics;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// Names of test domains. They cannot collide with anything else: a prefix no
/// one else uses, this process's id and a counter; OpenNebula-style names
/// (one-&lt;id&gt;) take ids far above any real cloud's. Every test domain carries
/// a description naming its test run, so a later run can remove what a crashed
/// run left behind, and never touches a live run's domains.
/// </summary>
public static class TestNames
{
    public const string Prefix = "onekvm-t-";
    public const string DescriptionMark = "onekvm-test-run pid=";

    private static int _counter;

    public static int Pid { get; } = Environment.ProcessId;

    public static string Description => DescriptionMark + Pid;

    public static string Domain(string purpose) =>
        $"{Prefix}{Pid}-{purpose}-{Interlocked.Increment(ref _counter)}";

    /// <summary>An OpenNebula VM id no real cloud on this machine uses: 9xxxxxxxx.</summary>
    public static int OneVmId() => 900_000_000 + Pid % 10_000 * 10_000 + Interlocked.Increment(ref _counter);

    public static bool IsLeftoverOfDeadRun(string description)
    {
        var at = description.IndexOf(DescriptionMark, StringComparison.Ordinal);
        if (at < 0 || !int.TryParse(description[(at + DescriptionMark.Length)..].Split(' ', '\n')[0], out var pid))
        {
            return false;
        }
        if (pid == Pid)
        {
            return false;
        }
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
