namespace OneKvm.Remotes.Lifecycle;

/// <summary>
/// shutdown: asks the guest to power off (ACPI) and waits until the domain is gone,
/// up to SHUTDOWN_TIMEOUT, re-sending the request every 10 s as peers do (libvirt
/// or the guest may miss one). Then FORCE_DESTROY=yes destroys it; otherwise the
/// timeout is the error. A domain that is already gone is success.
/// A paused (or power-management suspended) guest cannot see an ACPI request, and
/// libvirt refuses to send one: it is resumed (woken) first, so that it shuts down
/// cleanly like a running one; the timeout and FORCE_DESTROY then apply as usual.
/// A crashed guest cannot answer either: it is destroyed at once with FORCE_DESTROY=yes,
/// and otherwise the action fails without waiting (upstream's request simply failed).
/// With CANCEL_NO_ACPI=yes the domain XML is read first: its features say whether there is
/// ACPI, and its id whether the domain is up, so a domain without ACPI is destroyed after
/// one read (upstream: dumpxml and destroy) and the state is asked only of one with ACPI.
/// With OpenNebula's root helpers in the remotes tree, an emulated TPM's state is backed up
/// first (a failed backup stops the shutdown) and the vGPU released after (Lifecycle/VmHostDevices.cs).
/// Unlike upstream there is no fixed 4 s sleep at the end.
/// </summary>
internal sealed class ShutdownAction : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Vmm("shutdown", "Shut the domain down through ACPI, waiting up to SHUTDOWN_TIMEOUT.",
        [DeployId, ThisHost.Optional(), VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new ShutdownAction());

    /// <summary>Upstream's and Nova's: each poll is a virsh process (about 25 ms of CPU).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ResendInterval { get; init; } = TimeSpan.FromSeconds(10);

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var settings = context.Settings;
        var timeout = settings.ShutdownTimeout;

        var readings = new DomainReadings(context.Virsh, context.Settings, domain);
        var cancel = new CancelAction { Readings = readings };
        if (settings.CancelNoAcpi)
        {
            // one dumpxml says both whether the domain is up and whether it has ACPI: a domain
            // without ACPI is destroyed in whatever state it is, so it needs no domstate first
            if (await readings.XmlIfDefinedAsync(cancellationToken).ConfigureAwait(false) is not { } xml || !DomainReadings.IsActive(xml))
            {
                context.Logger.NothingToShutDown(domain);
                return;
            }
            // read from the domain XML, not grep'd for "acpi" anywhere in it as upstream does
            if (xml.Element("features")?.Element("acpi") is null)
            {
                // before anything stops it: libvirt deletes a transient domain's TPM state when it does
                await VmHostDevices.BackUpTpmAsync(context, readings, cancellationToken).ConfigureAwait(false);
                context.Logger.DestroyingWithoutAcpi(domain);
                await cancel.RunAsync(context, arguments, cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        var state = await context.Virsh.Domain(domain).StateOrFailAsync(cancellationToken).ConfigureAwait(false);
        if (state is null or "shut off")
        {
            context.Logger.NothingToShutDown(domain);
            return;
        }
        // before anything stops it, as above
        await VmHostDevices.BackUpTpmAsync(context, readings, cancellationToken).ConfigureAwait(false);
        if (state == "crashed")
        {
            // a crashed guest will never answer ACPI: waiting SHUTDOWN_TIMEOUT for it changes nothing
            if (!settings.ForceDestroy)
            {
                throw new OneKvmException(
                    $"Domain {domain} has crashed and cannot shut down; cancel it (poweroff --hard), or set FORCE_DESTROY=yes.");
            }
            context.Logger.DestroyingCrashed(domain);
            await cancel.RunAsync(context, arguments, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (state is "paused" or "pmsuspended")
        {
            context.Logger.WakingForShutdown(domain, state);
            var wake = VirshCommand.Create(state == "paused" ? "resume" : "dompmwakeup", "--domain", domain);
            await context.Virsh.RunOrFailAsync(wake, $"Could not wake {state} domain {domain} to shut it down", cancellationToken)
                .ConfigureAwait(false);
        }

        var vgpuVmDirectory = await VmHostDevices.VgpuVmDirectoryAsync(context, readings, cancellationToken).ConfigureAwait(false);
        if (!await RequestAsync(context, domain, cancellationToken).ConfigureAwait(false))
        {
            context.Logger.NothingToShutDown(domain);
            await VmHostDevices.ReleaseVgpuAsync(context, domain, vgpuVmDirectory).ConfigureAwait(false);
            return;
        }
        var polls = Math.Max(1, (int)Math.Ceiling(timeout / PollInterval));
        var pollsPerResend = Math.Max(1, (int)Math.Round(ResendInterval / PollInterval));
        var started = context.Time.GetTimestamp();
        // bounded by the count, and by the clock too: each poll's own virsh call adds to the wait
        for (var poll = 1; poll <= polls && (poll == 1 || context.Time.GetElapsedTime(started) < timeout); poll++)
        {
            await context.SleepAsync(PollInterval, cancellationToken).ConfigureAwait(false);
            if (await context.Virsh.Domain(domain).StateOrFailAsync(cancellationToken).ConfigureAwait(false) is null or "shut off")
            {
                context.Logger.ShutDown(domain, context.Time.GetElapsedTime(started).TotalSeconds);
                await VmHostDevices.ReleaseVgpuAsync(context, domain, vgpuVmDirectory).ConfigureAwait(false);
                await MemoryCleanup.RunIfAsync(settings.CleanupMemoryOnStop, context, wait: false, cancellationToken)
                    .ConfigureAwait(false);
                return;
            }
            if (poll % pollsPerResend == 0 && poll < polls)
            {
                await ResendAsync(context, domain, cancellationToken).ConfigureAwait(false);
                context.Logger.ShutdownResent(domain, context.Time.GetElapsedTime(started).TotalSeconds);
            }
        }

        if (!settings.ForceDestroy)
        {
            throw new OneKvmException(
                $"Timed out shutting down {domain}: the guest did not power off within {timeout.TotalSeconds:0} s (SHUTDOWN_TIMEOUT); " +
                "it is still running (FORCE_DESTROY=yes would destroy it).");
        }
        context.Logger.ShutdownTimedOutDestroying(domain, timeout.TotalSeconds);
        // cancel destroys, waits until the domain is gone and cleans memory up (CLEANUP_MEMORY_ON_STOP)
        await cancel.RunAsync(context, arguments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the ACPI request; false when the domain turned out to be gone already.</summary>
    private static async Task<bool> RequestAsync(DriverContext context, string domain, CancellationToken cancellationToken)
    {
        var result = await context.Virsh.TryRunAsync(VirshCommand.Create("shutdown", "--domain", domain), cancellationToken)
            .ConfigureAwait(false);
        if (result.Succeeded)
        {
            return true;
        }
        // it stopped between the state check and the request
        if ((VirshErrors.IsDomainNotFound(result.StandardError) || VirshErrors.IsDomainNotRunning(result.StandardError))
            && await context.Virsh.Domain(domain).StateOrFailAsync(cancellationToken).ConfigureAwait(false) is null or "shut off")
        {
            return false;
        }
        throw VirshRunnerExtensions.ActionFailure($"Could not shut down domain {domain}", new VirshException(result));
    }

    /// <summary>A re-sent request that fails changes nothing: the wait goes on to the timeout.</summary>
    private static async Task ResendAsync(DriverContext context, string domain, CancellationToken cancellationToken)
    {
        try
        {
            await context.Virsh.TryRunAsync(VirshCommand.Create("shutdown", "--domain", domain), cancellationToken).ConfigureAwait(false);
        }
        catch (VirshTimeoutException)
        {
            // logged by the runner; the state polls decide
        }
    }
}
