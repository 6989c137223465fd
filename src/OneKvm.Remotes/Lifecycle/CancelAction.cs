namespace OneKvm.Remotes.Lifecycle;

/// <summary>
/// cancel: destroy the domain and confirm it is gone (missing, or shut off when it
/// is persistent). A domain that is already gone is success, without upstream's
/// Ruby backtrace. A destroy that fails (QEMU stuck in the kernel) is retried, as
/// upstream retries for a minute. With OpenNebula's vgpu helper in the remotes tree the
/// domain's vGPU is released once it is gone.
/// </summary>
internal sealed class CancelAction : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Vmm("cancel", "Destroy the domain and wait until it is gone; a missing domain is success.",
        [DeployId, ThisHost.Optional(), VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new CancelAction());

    /// <summary>What shutdown already read of the domain, when it ends in a cancel.</summary>
    public DomainReadings? Readings { get; init; }

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var readings = Readings ?? new DomainReadings(context.Virsh, context.Settings, domain);
        var vgpuVmDirectory = await VmHostDevices.VgpuVmDirectoryAsync(context, readings, cancellationToken).ConfigureAwait(false);
        if (!await context.Virsh.Domain(domain).DestroyUntilGoneAsync(60, TimeSpan.FromSeconds(1), context.Time, cancellationToken)
                .ConfigureAwait(false))
        {
            context.Logger.LogInformation("Domain {Domain} is not running; nothing to cancel", domain);
        }
        await VmHostDevices.ReleaseVgpuAsync(context, domain, vgpuVmDirectory).ConfigureAwait(false);
        await MemoryCleanup.RunIfAsync(context.Settings.CleanupMemoryOnStop, context, wait: false, cancellationToken)
            .ConfigureAwait(false);
    }
}
