namespace OneKvm.Remotes.Live;

/// <summary>
/// Detaches a device and waits until it has really left the domain. libvirt waits 5 s
/// for the guest and then says "detached successfully" even when the guest has not
/// let go (OpenNebula issues 3873 and 8021); a guest busy with the first request
/// refuses a second one, although the device may be gone a moment later. So success
/// is decided by the domain XML alone: after each detach request it is read again after
/// each of <see cref="PollDelays"/> (soon at first: a guest often lets go just after
/// libvirt gave up waiting), and the request is repeated, up to VIRSH_RETRIES requests
/// in all (each runs once: this loop is its retry policy). Like Nova's detach, bounded by attempts.
/// </summary>
internal sealed class DeviceDetach
{
    /// <summary>Refusals that mean "not yet" rather than "never" (QEMU's texts, and libvirt's that are always worth another try).</summary>
    private static readonly string[] Pending = ["guest is busy", "already in the process of unplug", .. VirshErrors.AlwaysTransient];

    public required string Domain { get; init; }

    /// <summary>What is detached, for log lines and the error ("NIC 02:00:0a:00:00:05").</summary>
    public required string Device { get; init; }

    public required Func<CancellationToken, Task<ProgramResult>> Detach { get; init; }

    public required Func<CancellationToken, Task<bool>> IsAttached { get; init; }

    public required int Attempts { get; init; }

    public required TimeProvider Time { get; init; }

    public required ILogger Logger { get; init; }

    /// <summary>The waits before each further look at the domain after a request: 3 s in all.</summary>
    public IReadOnlyList<TimeSpan> PollDelays { get; init; } =
        [TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(750), TimeSpan.FromSeconds(2)];

    public static DeviceDetach For(VirshRunner virsh, ILogger logger, string domain, string device, ProgramCommand command,
        Func<LiveDomain, bool> isAttached) => new()
    {
        Domain = domain,
        Device = device,
        Detach = ct => virsh.TryRunAsync(command.WithRetry(RetryPolicy.Once), ct),
        IsAttached = async ct =>
        {
            try
            {
                return isAttached(await LiveDomain.ReadAsync(virsh, domain, ct).ConfigureAwait(false));
            }
            catch (OneKvmException e) when (LibvirtdComeback.IsLost(e))
            {
                // libvirtd restarted under the detach: once it answers again, the XML says where the device is
                await LibvirtdComeback.WaitAsync(virsh, virsh.Runner.Time, domain).ConfigureAwait(false);
                return isAttached(await LiveDomain.ReadAsync(virsh, domain, ct).ConfigureAwait(false));
            }
        },
        Attempts = virsh.Attempts,
        Time = virsh.Runner.Time,
        Logger = logger,
    };

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        string? refusal = null;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            ProgramResult result;
            try
            {
                result = await Detach(cancellationToken).ConfigureAwait(false);
            }
            catch (VirshTimeoutException e)
            {
                // libvirtd may still complete the request: the domain XML tells
                result = e.Result with { StandardError = e.Message };
            }
            var pending = result.Succeeded || result.ExitCode < 0;
            if (!result.Succeeded)
            {
                if (VirshErrors.IsDomainNotFound(result.StandardError))
                {
                    throw VirshRunnerExtensions.ActionFailure($"Could not detach {Device} from {Domain}", new VirshException(result));
                }
                refusal = result.Reason();
                pending |= Pending.Any(p => refusal.Contains(p, StringComparison.OrdinalIgnoreCase)) || LibvirtdComeback.IsLost(result.StandardError);
            }
            for (var poll = 0; ; poll++)
            {
                var attached = await IsAttached(cancellationToken).ConfigureAwait(false);
                if (!attached && attempt == 1 && poll == 0 && !result.Succeeded && !pending)
                {
                    // refused because there is nothing to detach
                    Logger.NotAttached(Device, Domain);
                    return;
                }
                if (poll == 0 && !result.Succeeded)
                {
                    Logger.DetachRefused(Device, attempt, refusal!);
                }
                if (!attached)
                {
                    if (attempt > 1 || poll > 0 || !result.Succeeded)
                    {
                        Logger.DetachConfirmed(Device, attempt);
                    }
                    return;
                }
                if (!pending)
                {
                    // refused for good ("cannot be hot unplugged"): waiting will not change that
                    throw VirshRunnerExtensions.ActionFailure($"Could not detach {Device} from {Domain}", new VirshException(result));
                }
                if (poll >= PollDelays.Count)
                {
                    break;
                }
                await Task.Delay(PollDelays[poll], Time, cancellationToken).ConfigureAwait(false);
            }
            if (attempt < Attempts)
            {
                Logger.DetachStillAttached(Device, attempt, Attempts);
            }
        }
        var said = refusal is null ? "" : $"; the last refusal was: {refusal}";
        throw new OneKvmException(
            $"Could not detach {Device} from {Domain}: the guest has not released it after {Attempts} attempts (VIRSH_RETRIES){said}.");
    }
}
