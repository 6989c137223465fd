namespace OneKvm.Remotes.Virsh;

/// <summary>
/// libvirt refuses to save or snapshot a domain while a block job (a disk copy,
/// a backup) runs. Upstream tries such a call 3 times, 5 s apart; so does onekvm.
/// </summary>
internal static class BlockJobRetry
{
    public const string ActiveBlockJob = "active block job";
    public const int Attempts = 3;
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(5);

    /// <summary>The runner for such calls: at least 3 attempts, 5 s apart.</summary>
    public static VirshRunner Runner(VirshRunner virsh) =>
        virsh.WithAttempts(Math.Max(Attempts, virsh.Attempts)).WithRetryDelay(Delay);

    public static ProgramCommand RetriedWhileBlockJob(this ProgramCommand command) => command.WithRetryOn(ActiveBlockJob);
}
