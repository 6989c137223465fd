using Microsoft.Extensions.Logging;
using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Host;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Virsh;

namespace OneKvm.Remotes.Actions;

/// <summary>
/// cancel: destroy the domain and confirm it is gone (missing, or shut off when it
/// is persistent). A domain that is already gone is success, without upstream's
/// Ruby backtrace. A destroy that fails (QEMU stuck in the kernel) is retried, as
/// upstream retries for a minute. With OpenNebula's vgpu helper in the remotes tree the
/// domain's vGPU is released once it is gone.
/// </summary>
internal sealed class CancelAction : IDriverAction
{
    public int MaxAttempts { get; init; } = 60;

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments.Required("deploy_id");
        var vgpuVmDirectory = await VmHostDevices.VgpuVmDirectoryAsync(context, domain, cancellationToken).ConfigureAwait(false);
        VirshResult? lastFailure = null;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var destroy = await context.Virsh.TryRunAsync(VirshCommand.Create("destroy", domain), cancellationToken)
                .ConfigureAwait(false);
            if (!destroy.Succeeded)
            {
                if (VirshErrors.IsDomainNotFound(destroy.StandardError) || VirshErrors.IsDomainNotRunning(destroy.StandardError))
                {
                    context.Logger.LogInformation("Domain {Domain} is not running; nothing to cancel", domain);
                    break;
                }
                lastFailure = destroy;
            }
            if (await DomainState.IsGoneAsync(context.Virsh, domain, cancellationToken).ConfigureAwait(false))
            {
                lastFailure = null;
                break;
            }
            await context.SleepAsync(PollInterval, cancellationToken).ConfigureAwait(false);
        }
        if (lastFailure is not null)
        {
            throw VirshRunnerExtensions.ActionFailure($"Could not destroy domain {domain}", new VirshException(lastFailure));
        }
        if (await DomainState.IsGoneAsync(context.Virsh, domain, cancellationToken).ConfigureAwait(false) is false)
        {
            throw new OneKvmException($"Could not destroy domain {domain}: it is still running after {MaxAttempts} attempts.");
        }
        await VmHostDevices.ReleaseVgpuAsync(context, domain, vgpuVmDirectory).ConfigureAwait(false);
        if (context.Settings.CleanupMemoryOnStop)
        {
            await MemoryCleanup.RunAsync(context, wait: false, cancellationToken).ConfigureAwait(false);
        }
    }
}
