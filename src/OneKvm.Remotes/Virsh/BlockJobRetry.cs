namespace OneKvm.Remotes.Virsh;

/// <summary>
/// libvirt refuses to save or snapshot a domain while a block job (a disk copy,
/// a backup) runs. Upstream tries such a call 3 times, 5 s apart; so does onekvm.
/// </summary>
internal static class BlockJobRetry
{
    /// <summary>The runner for such calls: at least 3 attempts, 5 s apart.</summary>
    public static VirshRunner Runner(VirshRunner virsh) =>
        virsh.WithAttempts(Math.Max(3, virsh.Attempts)).WithRetryDelay(TimeSpan.FromSeconds(5));

    public static ProgramCommand RetriedWhileBlockJob(this ProgramCommand command) => command.WithRetryOn("active block job");
}
