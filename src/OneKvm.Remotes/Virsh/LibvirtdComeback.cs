namespace OneKvm.Remotes.Virsh;

/// <summary>
/// libvirtd restarted under a long call (an upgrade, an operator): virsh loses its connection
/// ("Disconnected from ...", "End of file while reading data") and, until the new daemon listens,
/// cannot connect. The domains' QEMUs run on, and a save or restore libvirtd was doing is often
/// finished before it exits (measured with libvirt 9.0: both completed under a SIGTERM). So the
/// action waits, within <see cref="Bound"/>, for libvirtd to answer again and then asks what happened.
/// </summary>
internal static class LibvirtdComeback
{
    /// <summary>
    /// How long an action waits for a restarted libvirtd to answer again: systemd's default stop timeout
    /// (90 s), since libvirtd's SIGTERM waits for the job in progress (a restore under load took over 30 s here).
    /// </summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    private static readonly string[] Lost =
    [
        "Disconnected from",
        "End of file while reading data",
        "Cannot recv data",
        "Cannot write data",
        "Connection reset by peer",
        "client socket is closed",
        "failed to connect to the hypervisor",
    ];

    /// <summary>True when virsh failed because it lost, or never got, its connection to libvirtd.</summary>
    public static bool IsLost(string stderr) => Lost.Any(l => stderr.Contains(l, StringComparison.Ordinal));

    /// <summary>
    /// Waits until libvirtd answers about <paramref name="domain"/> again (true) or <see cref="Bound"/> has
    /// passed (false). Not cancellable: it decides what an action that already ran has done.
    /// </summary>
    public static async Task<bool> WaitAsync(VirshRunner virsh, TimeProvider time, string domain)
    {
        var deadline = time.GetUtcNow() + Bound;
        while (true)
        {
            try
            {
                await virsh.Domain(domain).StateAsync(CancellationToken.None).ConfigureAwait(false);
                return true;
            }
            catch (VirshException e) when (IsLost(e.Result.StandardError) && time.GetUtcNow() < deadline)
            {
                await Task.Delay(Poll, time, CancellationToken.None).ConfigureAwait(false);
            }
            catch (VirshException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="read"/>; when it fails because a libvirtd does not answer (restarted under an action that
    /// virsh reported as another failure), waits for each of <paramref name="hosts"/> to answer about
    /// <paramref name="domain"/> again, within <see cref="Bound"/> each, and reads once more.
    /// </summary>
    public static async Task<T> ReadAfterComebackAsync<T>(Func<Task<T>> read, TimeProvider time, string domain, params VirshRunner[] hosts)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (VirshException e) when (IsLost(e.Result.StandardError))
        {
            foreach (var host in hosts)
            {
                await WaitAsync(host, time, domain).ConfigureAwait(false);
            }
            return await read().ConfigureAwait(false);
        }
    }

    /// <summary>True when <paramref name="failure"/> (or the virsh failure it wraps) lost libvirtd.</summary>
    public static bool IsLost(Exception failure) =>
        failure is VirshException { Result.StandardError: var stderr } && IsLost(stderr)
        || failure.InnerException is VirshException { Result.StandardError: var inner } && IsLost(inner);

    /// <summary>As <see cref="WaitAsync"/> when <paramref name="failure"/> lost libvirtd; false at once otherwise.</summary>
    public static async Task<bool> WaitIfLostAsync(VirshRunner virsh, TimeProvider time, string domain, Exception failure) =>
        IsLost(failure) && await WaitAsync(virsh, time, domain).ConfigureAwait(false);
}
