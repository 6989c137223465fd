using OneKvm.Remotes.Snapshots;
using OneKvm.Remotes.Guest;

namespace OneKvm.Remotes.Checkpoints;

/// <summary>
/// restore: starts the domain again from its checkpoint. A domain the guest put to
/// sleep (pmsuspended) is woken instead. The restore.&lt;TM_MAD&gt; hook brings the
/// checkpoint in first; the saved XML is read with its display passwords (upstream
/// lost them) and its datastore paths are moved to the checkpoint's datastore (a
/// system datastore migration) before libvirt sees it. The checkpoint is deleted only
/// once the domain runs; snapshot metadata is redefined; SYNC_TIME syncs the guest
/// clock in the background.
/// </summary>
internal sealed class RestoreAction : IDriverAction
{
    public static readonly ActionParameter CheckpointFile = new("checkpoint_file", "the checkpoint to restore");
    public static readonly ActionEntry Row = ActionEntry.Vmm("restore", "Restore the domain from a checkpoint file.",
        [CheckpointFile, ThisHost, DeployId.Optional(), VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new RestoreAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var file = arguments[CheckpointFile];
        var stdin = await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false);
        var data = string.IsNullOrWhiteSpace(stdin) ? null : ActionData.Parse(stdin);
        var vmId = arguments.Optional(VmId) ?? data?.VmId;
        var hook = DatastoreHook.Find(context, "restore", data?.SystemTmMad);

        // upstream asks about one-<vm_id> whatever the deploy id, and prints "failed to get domain" when it is not there
        var current = arguments.Optional(DeployId) ?? (vmId is null ? null : "one-" + vmId);
        var currentState = current is null ? null : await context.Virsh.Domain(current).StateOrFailAsync(cancellationToken).ConfigureAwait(false);
        if (currentState == "pmsuspended")
        {
            await context.Virsh.RunOrFailAsync(VirshCommand.Create("dompmwakeup", "--domain", current!),
                $"Could not wake up domain {current} from its power-management suspend", cancellationToken).ConfigureAwait(false);
            context.Logger.WokenInsteadOfRestored(current!);
            return;
        }
        // run again after an interrupted restore that libvirt finished: nothing to restore, only the end to do
        if (currentState == "running" && await RunsFromAsync(context, current!, file, cancellationToken).ConfigureAwait(false))
        {
            context.Logger.AlreadyRestored(current!, file);
            await FinishAsync(context, current!, file, PosixPath.Dirname(file), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (hook is not null)
        {
            await DatastoreHook.RunAsync(context, hook, stdin, arguments.Given, cancellationToken).ConfigureAwait(false);
        }
        var saved = await SavedDomainAsync(context, file, cancellationToken).ConfigureAwait(false);
        var location = CheckpointLocation.Of(file);
        vmId ??= PosixPath.Basename(location.VmDirectory);
        if (location.IsInDatastoreLayout && new DatastorePathRewriter(location, vmId).Rewrite(saved) is var changed and > 0)
        {
            context.Logger.DatastorePathsRewritten(changed, $"{location.DatastoresDirectory}/{location.DatastoreId}");
        }
        // the UUID survives save and restore; the deploy id argument may be missing
        var domain = saved.Element("uuid")?.Value.Trim() is { Length: > 0 } uuid
            ? uuid
            : throw new OneKvmException($"The domain XML saved in {file} has no <uuid>.");

        await MemoryCleanup.RunIfAsync(context.Settings.CleanupMemoryOnStart, context, wait: true, cancellationToken)
            .ConfigureAwait(false);
        if (RegularFile.IdentityOf(file) is { } identity)
        {
            RestoreMarker.Add(saved, file, identity);
        }
        try
        {
            if (!await RestoreWithRetriesAsync(context, file, domain, saved.ToString(), cancellationToken).ConfigureAwait(false))
            {
                context.Logger.AlreadyRestored(domain, file);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the killed virsh does not stop libvirt: if the domain comes up from this checkpoint, the restore happened
            if (!await InterruptedJob.SettleAsync(context.Virsh, domain,
                    state => state == "running" ? RunsFromAsync(context, domain, file, CancellationToken.None) : Task.FromResult(false))
                .ConfigureAwait(false))
            {
                throw;
            }
            context.Logger.RestoredDespiteInterruption(domain, file);
            await FinishAsync(context, domain, file, location.VmDirectory, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        var state = await context.Virsh.Domain(domain).StateOrFailAsync(cancellationToken).ConfigureAwait(false);
        if (state is null or "shut off" or "crashed")
        {
            throw new OneKvmException($"Domain {domain} was restored from {file} but is {state ?? "gone"} right after; the checkpoint is kept.");
        }
        await FinishAsync(context, domain, file, location.VmDirectory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What follows a restore, once the domain runs: the clock sync, the checkpoint's removal, the snapshots.</summary>
    private static async Task FinishAsync(DriverContext context, string domain, string file, string vmDirectory,
        CancellationToken cancellationToken)
    {
        if (context.Settings.SyncTime)
        {
            GuestClockSync.Start(context, domain);
        }
        context.Logger.RemoveFile(file);
        await SnapshotMetadata.RedefineAllAsync(context.Virsh, context.Logger, domain, domain, vmDirectory, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> RunsFromAsync(DriverContext context, string domain, string file, CancellationToken cancellationToken) =>
        await context.Virsh.Domain(domain).XmlOrNullAsync(cancellationToken).ConfigureAwait(false) is { } xml
        && RestoreMarker.RunsFrom(xml, file);

    /// <summary>The domain XML inside the checkpoint, secrets included: restoring without them drops the VNC password.</summary>
    private static async Task<XElement> SavedDomainAsync(DriverContext context, string file, CancellationToken cancellationToken)
    {
        var dump = await context.Virsh.RunOrFailAsync(VirshCommand.Create("save-image-dumpxml", "--file", file, "--security-info"),
            $"Could not read the domain XML saved in the checkpoint {file}", cancellationToken).ConfigureAwait(false);
        return SafeXml.Parse(dump.StandardOutput, $"the domain XML saved in {file}").Root!;
    }

    /// <summary>
    /// Upstream tries VIRSH_RETRIES times in all, 1 s apart, whatever failed (QEMU used to crash on a first restore).
    /// False when libvirt refused because the domain already runs from this very checkpoint (an earlier
    /// restore was interrupted after libvirt had started it): nothing is left to restore.
    /// </summary>
    private static async Task<bool> RestoreWithRetriesAsync(DriverContext context, string file, string domain, string xml,
        CancellationToken cancellationToken)
    {
        var runsFrom = false;
        // the XML on stdin: it holds display passwords, which must not sit in a file
        var restore = VirshCommand.Create("restore", "--file", file, "--xml", "/dev/stdin").WithStandardInput(xml).WithoutDeadline()
            .WithRetry(RetryPolicy.Unset.WithDelay(TimeSpan.FromSeconds(1))
                .WithRetryWhen(async (failed, ct) => !(runsFrom = await RunsFromCheckpointAsync(context, domain, file, failed, ct).ConfigureAwait(false))));
        var result = await context.Virsh.TryRunAsync(restore, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return true;
        }
        // the policy asks after each failure but the last
        return runsFrom || await RunsFromCheckpointAsync(context, domain, file, result, cancellationToken).ConfigureAwait(false)
            ? false
            : throw VirshRunnerExtensions.ActionFailure($"Could not restore from {file}", new VirshException(result));
    }

    /// <summary>After a restore that <paramref name="failed"/>: a libvirtd restarted under it is waited for first (it may have finished the restore).</summary>
    private static async Task<bool> RunsFromCheckpointAsync(DriverContext context, string domain, string file, ProgramResult failed,
        CancellationToken cancellationToken)
    {
        if (LibvirtdComeback.IsLost(failed.StandardError) && !await LibvirtdComeback.WaitAsync(context.Virsh, context.Time, domain).ConfigureAwait(false))
        {
            throw VirshRunnerExtensions.ActionFailure($"Could not restore from {file}: libvirtd went away during the restore and did not answer again within {LibvirtdComeback.Bound.TotalSeconds:0} s",
                new VirshException(failed));
        }
        return await RunsFromCheckpointAsync(context, domain, file, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> RunsFromCheckpointAsync(DriverContext context, string domain, string file, CancellationToken cancellationToken) =>
        await context.Virsh.Domain(domain).StateAsync(cancellationToken).ConfigureAwait(false) == "running"
        && await RunsFromAsync(context, domain, file, cancellationToken).ConfigureAwait(false);
}
