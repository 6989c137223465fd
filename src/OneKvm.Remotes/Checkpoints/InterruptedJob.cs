namespace OneKvm.Remotes.Checkpoints;

/// <summary>
/// A save or restore whose virsh a signal killed: libvirt goes on with the job it was asked for
/// (seen here: a restore whose virsh is killed comes up "running (restored)" a second later). So
/// before the action answers, it waits a little while libvirt still holds the domain paused for
/// the job, and asks whether the job's effect is there: then the action did what it was asked.
/// </summary>
internal static class InterruptedJob
{
    /// <summary>How long an interrupted action waits for libvirt (well within <see cref="Interruption.Grace"/>).</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Polls the domain's state, without the cancelled token, while it is paused (the job runs) and
    /// <see cref="SettleTime"/> lasts; then answers what <paramref name="happened"/> makes of the state
    /// it ended in (null: no such domain). False when libvirt cannot be asked.
    /// </summary>
    public static async Task<bool> SettleAsync(VirshRunner virsh, string domain, Func<string?, Task<bool>> happened)
    {
        var time = virsh.Runner.Time;
        var deadline = time.GetUtcNow() + SettleTime;
        try
        {
            while (true)
            {
                var state = await virsh.Domain(domain).StateAsync(CancellationToken.None).ConfigureAwait(false);
                if (state != "paused" || time.GetUtcNow() >= deadline)
                {
                    return await happened(state).ConfigureAwait(false);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(200), time, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OneKvmException)
        {
            return false;
        }
    }
}
