using OneKvm.Remotes.Snapshots;
using OneKvm.Remotes.Guest;

namespace OneKvm.Remotes.Migration;

/// <summary>
/// One live migration, shared by migrate (run on the source host) and migrate_local (run
/// on the front-end): the two differ only in how the source's libvirt is reached and where
/// memory is cleaned up. Both hosts are checked before anything changes; a migration that
/// fails or is interrupted is reconciled so that the domain ends on exactly one host.
/// </summary>
/// <param name="programHost">Runs the programs (virsh aside) and holds the action's log.</param>
/// <param name="source">virsh on the source's libvirt (LIBVIRT_URI for migrate, QEMU_PROTOCOL://src/system for migrate_local).</param>
/// <param name="sourceShell">Runs programs where the VM's files are (this host for migrate, ssh to the source for migrate_local).</param>
/// <param name="sourceIsRemote">migrate_local: the source is another host too (its memory is cleaned up through ssh).</param>
/// <param name="vmId">The VM's id (its directory in the system datastore), from the arguments.</param>
internal sealed class LiveMigration(IProgramHost programHost, KvmSettings settings, TimeProvider time, string domain, string sourceHost,
    string destinationHost, VirshRunner source, string destinationUri, HostShell sourceShell, string? vmId, bool sourceIsRemote)
{
    /// <summary>How often the job of an aborted migration is looked at until it is over.</summary>
    public static readonly TimeSpan JobPollInterval = TimeSpan.FromMilliseconds(500);

    public const int JobPolls = 40;

    public async Task RunAsync(ActionData? data, CancellationToken cancellationToken)
    {
        var features = VmMigrationFeatures.From(data);
        var destination = source.WithUri(destinationUri);

        var storage = MigrationStorage.From(data, vmId);

        var journal = storage is null ? null : new SnapshotJournal(sourceShell, storage.SourceDirectory);
        var (info, pausedThere) = await ReadSourceAsync(destination, cancellationToken).ConfigureAwait(false);
        if (journal is not null)
        {
            // a run cut off between dropping the snapshot metadata and redefining it: back where the domain runs first
            await SnapshotCarry.RecoverAsync(Logger, info is null ? destination : source, domain, info is null ? destinationHost : sourceHost,
                journal, cancellationToken, info is null && storage!.ChangesDirectory ? storage.Relocated : null)
                .ConfigureAwait(false);
        }
        if (info is null)
        {
            if (pausedThere)
            {
                await FinishCutOffSwitchoverAsync(destination, storage, cancellationToken).ConfigureAwait(false);
            }
            return;
        }
        bool definedOnDestination;
        StorageCopy? copy = null;
        Task<ProgramResult>? snapshotList = null;
        if (storage is { Shared: false })
        {
            // independent reads, nothing changed yet: the destination's answer, the disks and their images, the snapshot list
            var checking = CheckDestinationAsync(destination, info, cancellationToken);
            var planning = StorageCopyPlan.ReadAsync(programHost.VirshTimeout, Logger, source, sourceShell, domain, storage,
                cancellationToken);
            snapshotList = SnapshotCarry.ListAsync(source, domain, cancellationToken);
            await Task.WhenAll(checking, planning, snapshotList).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            // a failure is told in the order they ran before: the destination, the disks, the snapshots
            definedOnDestination = await checking.ConfigureAwait(false);
            copy = new StorageCopy(programHost, time, sourceShell, destinationHost, await planning.ConfigureAwait(false));
            await snapshotList.ConfigureAwait(false);
        }
        else
        {
            definedOnDestination = await CheckDestinationAsync(destination, info, cancellationToken).ConfigureAwait(false);
        }
        if (settings.CleanupMemoryOnStart)
        {
            await MemoryCleanup.RunOnAsync(programHost, destinationHost, wait: true, cancellationToken).ConfigureAwait(false);
        }
        var destinationXml = copy is null ? null : await PrepareDestinationAsync(copy, cancellationToken).ConfigureAwait(false);

        SnapshotCarry snapshots;
        try
        {
            snapshots = await SnapshotCarry.TakeAsync(Logger, source, domain, sourceHost, journal, cancellationToken, snapshotList).ConfigureAwait(false);
        }
        catch (Exception e) when (copy is not null && e is OneKvmException or OperationCanceledException)
        {
            var problem = await copy.RemoveFromDestinationAsync().ConfigureAwait(false);
            if (problem is null)
            {
                throw;
            }
            throw new OneKvmException($"{e.Message.TrimEnd('.')}; {problem}.", e);
        }
        var storageOptions = copy?.Plan.MigrateOptions() ?? [];
        if (copy is { Plan.Live.Count: > 0 })
        {
            Logger.CopyingDisksLive(copy.Plan.Live.Count, domain, string.Join(", ", copy.Plan.Live.Select(d => $"{d.Target} {d.RealPath}")));
        }
        var command = new MigrateCommand(domain, destinationUri, settings.MigrateOptions, features, info.Persistent,
            storageOptions, destinationXml);
        Logger.Migrating(domain, info.State, sourceHost, destinationHost, destinationUri);
        var started = time.GetTimestamp();
        var pausedHere = false;
        try
        {
            if (copy is { Plan.PausedCopy.Count: > 0 })
            {
                pausedHere = await copy.Plan.PauseForPausedCopyAsync(Logger, source, domain, info, cancellationToken).ConfigureAwait(false);
                await copy.CopyWhilePausedAsync(cancellationToken).ConfigureAwait(false);
            }
            await BlockJobRetry.Runner(source).RunAsync(command.ToVirsh(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OneKvmException || e is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            await ReconcileAsync(destination, info, definedOnDestination, snapshots, copy, e, pausedHere).ConfigureAwait(false);
        }
        Logger.Migrated(domain, destinationHost, time.GetElapsedTime(started).TotalSeconds);
        if (copy is not null && storageOptions.Contains("--suspend"))
        {
            await FinishSwitchoverAsync(destination, copy, info).ConfigureAwait(false);
        }
        if (copy is { Plan.Storage.ChangesDirectory: true })
        {
            snapshots.Relocate(copy.Plan.Storage.Relocated);
        }
        await snapshots.PutBackAsync(Logger, destination, destinationHost).ConfigureAwait(false);
        // upstream's Ruby migrate takes SYNC_TIME=YES, its bash migrate_local only "yes"
        if (sourceIsRemote ? settings.SyncTime : settings.SyncTimeAfterMigrate)
        {
            GuestClockSync.Start(programHost, info.Uuid, destinationUri);
        }
        if (settings.CleanupMemoryOnStop)
        {
            await (sourceIsRemote
                ? MemoryCleanup.RunOnAsync(programHost, sourceHost, wait: false, CancellationToken.None)
                : MemoryCleanup.RunAsync(programHost, wait: false, CancellationToken.None)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The destination's VM directory with its empty images and the other files, and the domain
    /// XML for the destination when the directory changes; on failure nothing of it stays.
    /// </summary>
    private async Task<string?> PrepareDestinationAsync(StorageCopy copy, CancellationToken cancellationToken)
    {
        try
        {
            await copy.PrepareAsync(cancellationToken).ConfigureAwait(false);
            return await copy.DestinationXmlAsync(source, domain, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OneKvmException || e is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            var problem = await copy.RemoveFromDestinationAsync().ConfigureAwait(false);
            var trouble = problem is null ? "" : "; but " + problem;
            throw new OneKvmException(e is OperationCanceledException
                ? $"The migration of {domain} to {destinationHost} was interrupted by a signal while its files were copied; it keeps running on {sourceHost}{trouble}."
                : $"Could not copy the files of {domain} to {destinationHost}: {e.Message.TrimEnd('.')}; it keeps running on {sourceHost}{trouble}.",
                e is OperationCanceledException ? null : e);
        }
    }

    /// <summary>
    /// libvirt left the VM paused on the destination (--suspend) so that the files QEMU wrote
    /// besides its disks can follow; then it runs. The migration is done whatever happens here:
    /// a failure is a warning, never the action's failure.
    /// </summary>
    private async Task FinishSwitchoverAsync(VirshRunner destination, StorageCopy? copy, DomainInfo info)
    {
        try
        {
            await (copy?.CopyAfterSwitchoverAsync() ?? Task.CompletedTask).ConfigureAwait(false);
        }
        catch (OneKvmException e)
        {
            Logger.SwitchoverProblem(domain, destinationHost, e.Message.TrimEnd('.'));
        }
        // a VM that was paused before stays paused
        if (info.State == "running" && await PausedAsync(destination.Domain(info.Uuid)).ConfigureAwait(false))
        {
            var problems = new List<string>();
            await ResumeAsync(destination, info, destinationHost, problems).ConfigureAwait(false);
            foreach (var problem in problems)
            {
                Logger.SwitchoverProblem(domain, destinationHost, problem);
            }
        }
    }

    /// <summary>
    /// An earlier run was cut off after `virsh migrate --suspend` left the domain paused on the destination: its
    /// switchover is finished as that run would have, the files QEMU writes besides the disks copied again (the
    /// source's are still there: the TM driver removes them only after success) and the domain resumed. OpenNebula
    /// live-migrates only RUNNING VMs, so it was running. On a shared datastore (--suspend from MIGRATE_OPTIONS) only the resume.
    /// </summary>
    private async Task FinishCutOffSwitchoverAsync(VirshRunner destination, MigrationStorage? storage, CancellationToken cancellationToken)
    {
        var xml = await destination.Domain(domain).XmlAsync(cancellationToken, $"Could not read domain {domain} on {destinationHost}")
            .ConfigureAwait(false);
        StorageCopy? copy = null;
        if (storage is { Shared: false })
        {
            var underDestination = storage with { SourceDirectory = storage.DestinationDirectory };
            var after = StorageCopyPlan.Nvram(xml).Select(underDestination.Relative).OfType<string>().ToList();
            copy = new StorageCopy(programHost, time, sourceShell, destinationHost, new StorageCopyPlan(storage, [], [], [], [], after));
        }
        var there = new DomainInfo(domain, (string?)xml.Element("uuid") ?? domain, "running", Persistent: true);
        await FinishSwitchoverAsync(destination, copy, there).ConfigureAwait(false);
    }

    /// <summary>
    /// The running domain here; null when it is gone from here and runs on the destination (an earlier run was cut off
    /// after libvirt moved it), with whether it is paused there (cut off before its resume).
    /// </summary>
    private async Task<(DomainInfo? Info, bool PausedThere)> ReadSourceAsync(VirshRunner destination, CancellationToken cancellationToken)
    {
        DomainInfo? info;
        try
        {
            info = await source.Domain(domain).InfoAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException e)
        {
            throw VirshRunnerExtensions.ActionFailure($"Could not read domain {domain} on {sourceHost}", e);
        }
        if (info is null)
        {
            string? there;
            try
            {
                there = (await ObserveAsync(destination, domain, cancellationToken).ConfigureAwait(false))?.State;
            }
            catch (VirshException)
            {
                // unreadable there: as if it were not there
                there = null;
            }
            if (there == "running")
            {
                Logger.AlreadyMigrated(domain, destinationHost, sourceHost);
                return (null, false);
            }
            if (there == "paused")
            {
                Logger.SwitchoverCutOff(domain, sourceHost, destinationHost);
                return (null, true);
            }
            throw new OneKvmException($"Domain {domain} does not exist on {sourceHost}; nothing was migrated.");
        }
        return info.IsActive
            ? (info, false)
            : throw new OneKvmException($"Domain {domain} is shut off on {sourceHost}: only a running domain can be live-migrated.");
    }

    /// <summary>
    /// Reaches the destination before anything changes, and refuses a host where the domain
    /// already runs. True when the destination holds a (shut off) definition of it, which a
    /// failed migration must leave there.
    /// </summary>
    private async Task<bool> CheckDestinationAsync(VirshRunner destination, DomainInfo info, CancellationToken cancellationToken)
    {
        ObservedState? state;
        try
        {
            state = await ObserveAsync(destination, info.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException e)
        {
            throw new OneKvmException(
                $"Could not reach {destinationHost} ({destinationUri}): {VirshException.ReasonOf(e)}; {domain} was not migrated and keeps running on {sourceHost}.", e);
        }
        if (state is { IsActive: true })
        {
            throw new OneKvmException($"Domain {info.Name} is already {state.State} on {destinationHost}; nothing was migrated.");
        }
        return state is not null;
    }

    /// <summary>
    /// After a failed or interrupted migration: stops the job, looks at both hosts and leaves
    /// the domain on exactly one. Returns when it runs on the destination (the migration did
    /// complete); otherwise fails with the sentence that says where the domain is.
    /// </summary>
    private async Task ReconcileAsync(VirshRunner destination, DomainInfo info, bool definedOnDestination,
        SnapshotCarry snapshots, StorageCopy? copy, Exception cause, bool pausedHere)
    {
        var interrupted = cause is OperationCanceledException;
        var failure = interrupted ? "interrupted by a signal" : VirshException.ReasonOf(cause);
        // the dispatcher logs what virsh said from the cause; a signal is no virsh failure
        var inner = interrupted ? null : cause;
        if (interrupted)
        {
            Logger.MigrationInterrupted(domain, sourceHost);
            await AbortJobAsync().ConfigureAwait(false);
        }
        else if (LibvirtdComeback.IsLost(cause))
        {
            // a libvirtd restarted under the migration: both must answer before anyone can tell where the domain is
            await LibvirtdComeback.WaitAsync(source, time, info.Uuid).ConfigureAwait(false);
            await LibvirtdComeback.WaitAsync(destination, time, info.Uuid).ConfigureAwait(false);
        }
        ObservedState? onSource, onDestination;
        try
        {
            // a daemon restarted under a migration that virsh reported as failed for another reason: wait for it too
            (onSource, onDestination) = await LibvirtdComeback.ReadAfterComebackAsync(async () =>
                    (await ObserveAsync(source, info.Uuid, CancellationToken.None).ConfigureAwait(false),
                        await ObserveAsync(destination, info.Uuid, CancellationToken.None).ConfigureAwait(false)),
                time, info.Uuid, source, destination).ConfigureAwait(false);
        }
        catch (VirshException e)
        {
            throw new OneKvmException(
                $"Could not migrate {domain} to {destinationHost} ({failure}), and where it is now could not be read: {VirshException.ReasonOf(e)}.", inner ?? e);
        }
        Logger.PlacementObserved(domain, onSource?.ToString() ?? "absent", sourceHost, onDestination?.ToString() ?? "absent",
            destinationHost);

        var outcome = MigrationOutcome.Decide(onSource, onDestination, wasRunning: info.State == "running");
        if (pausedHere && outcome.Host == MigratedDomainHost.Source && onSource is { State: "paused" })
        {
            // onekvm paused it to copy the images with internal snapshots
            outcome = outcome with { ResumeOnSource = true };
        }
        var problems = new List<string>();
        if (outcome.RemoveFromDestination)
        {
            await RemoveAsync(destination, info, destinationHost, onDestination, undefine: !definedOnDestination, problems)
                .ConfigureAwait(false);
        }
        if (outcome.RemoveFromSource)
        {
            await RemoveAsync(source, info, sourceHost, onSource, undefine: true, problems).ConfigureAwait(false);
        }
        if (outcome.ResumeOnSource)
        {
            await ResumeAsync(source, info, sourceHost, problems).ConfigureAwait(false);
        }
        if (outcome.ResumeOnDestination)
        {
            await ResumeAsync(destination, info, destinationHost, problems).ConfigureAwait(false);
        }

        var trouble = problems.Count > 0 ? "; but " + string.Join("; ", problems) : "";
        switch (outcome.Host)
        {
            case MigratedDomainHost.Destination when problems.Count == 0:
                Logger.MigratedDespiteFailure(failure, domain, destinationHost, sourceHost);
                return;
            case MigratedDomainHost.Destination:
                throw new OneKvmException(
                    $"Domain {domain} moved to {destinationHost} although virsh migrate failed ({failure}){trouble}.", inner);
            case MigratedDomainHost.Source:
                await snapshots.PutBackAsync(Logger, source, sourceHost).ConfigureAwait(false);
                if (copy is not null && await copy.RemoveFromDestinationAsync().ConfigureAwait(false) is { } leftover)
                {
                    trouble += (trouble.Length == 0 ? "; but " : "; ") + leftover;
                }
                var stays = outcome.ResumeOnSource || onSource!.State == "running" ? "it keeps running" : $"it stays {onSource.State}";
                throw new OneKvmException(interrupted
                    ? $"The migration of {domain} to {destinationHost} was interrupted by a signal and aborted; {stays} on {sourceHost}{trouble}."
                    : $"Could not migrate {domain} to {destinationHost}: {failure}; {stays} on {sourceHost}{trouble}.", inner);
            case MigratedDomainHost.Split:
                throw new OneKvmException(
                    $"Could not migrate {domain} to {destinationHost} ({failure}): its post-copy phase failed and its memory is split between {sourceHost} ({onSource?.ToString() ?? "absent"}) and {destinationHost} ({onDestination?.ToString() ?? "absent"}), so both copies are left for the operator.",
                    inner);
            default:
                throw new OneKvmException(
                    $"Could not migrate {domain} to {destinationHost} ({failure}), and it is now on neither {sourceHost} nor {destinationHost}{trouble}.",
                    inner);
        }
    }

    /// <summary>
    /// Killing virsh ends a migration it drives, but not a peer-to-peer one (--p2p), which
    /// the source's libvirtd drives on its own: that one is aborted, then waited for.
    /// </summary>
    private async Task AbortJobAsync()
    {
        try
        {
            await source.TryRunAsync(VirshCommand.Create("domjobabort", "--domain", domain), CancellationToken.None).ConfigureAwait(false);
            for (var poll = 0; poll < JobPolls; poll++)
            {
                var job = await source.TryRunAsync(VirshCommand.Create("domjobinfo", "--domain", domain).WithReadOnly(), CancellationToken.None)
                    .ConfigureAwait(false);
                if (!job.Succeeded || !IsJobActive(job.StandardOutput))
                {
                    return;
                }
                await Task.Delay(JobPollInterval, time, CancellationToken.None).ConfigureAwait(false);
            }
            Logger.MigrationJobStillRunning(domain, (JobPollInterval * JobPolls).TotalSeconds);
        }
        catch (VirshException)
        {
            // the runner logged it; the states of both hosts decide what happens next
        }
    }

    /// <summary>domjobinfo's "Job type:" is Unbounded or Bounded while a job runs (None, Completed, Failed, Cancelled after).</summary>
    public static bool IsJobActive(string domjobinfo) =>
        domjobinfo.Split('\n')
            .Select(l => l.Trim())
            .FirstOrDefault(l => l.StartsWith("Job type:", StringComparison.Ordinal)) is { } line
        && line["Job type:".Length..].Trim() is "Unbounded" or "Bounded";

    private async Task RemoveAsync(VirshRunner virsh, DomainInfo info, string host, ObservedState? state,
        bool undefine, List<string> problems)
    {
        try
        {
            if (state is { IsActive: true })
            {
                // the other libvirtd may clean up its half of an aborted migration on its own, meanwhile
                await virsh.Domain(info.Uuid).DestroyAsync(unbounded: false, CancellationToken.None).ConfigureAwait(false);
            }
            if (undefine)
            {
                // the NVRAM file lives in the shared VM directory: the domain on the other host uses it
                var result = await virsh.TryRunAsync(VirshCommand.Create("undefine", "--domain", info.Uuid, "--keep-nvram"), CancellationToken.None)
                    .ConfigureAwait(false);
                if (!result.Succeeded && !VirshErrors.IsDomainNotFound(result.StandardError)
                    && !result.StandardError.Contains("transient", StringComparison.Ordinal))
                {
                    throw new VirshException(result);
                }
            }
            Logger.LeftoverRemoved(info.Name, host);
        }
        catch (VirshException e)
        {
            problems.Add($"its copy on {host} could not be removed: {VirshException.ReasonOf(e)}");
        }
    }

    private async Task ResumeAsync(VirshRunner virsh, DomainInfo info, string host, List<string> problems)
    {
        try
        {
            await virsh.RunAsync(VirshCommand.Create("resume", "--domain", info.Uuid), CancellationToken.None).ConfigureAwait(false);
            Logger.ResumedAfterMigration(info.Name, host);
        }
        catch (VirshException e)
        {
            problems.Add($"it could not be resumed on {host}: {VirshException.ReasonOf(e)}");
        }
    }

    /// <summary>The domain's state and reason, or null when that libvirt has no such domain.</summary>
    private static async Task<ObservedState?> ObserveAsync(VirshRunner virsh, string domain, CancellationToken cancellationToken)
    {
        var state = await virsh.Domain(domain).StateAndReasonAsync(cancellationToken).ConfigureAwait(false);
        return state is null ? null : ObservedState.Parse(state);
    }

    /// <summary>Whether it is paused; false when its state cannot be read, whatever the reason.</summary>
    private static async Task<bool> PausedAsync(VirshDomain domain)
    {
        try
        {
            return await domain.StateAsync(CancellationToken.None).ConfigureAwait(false) == "paused";
        }
        catch (VirshException e) when (e is not VirshTimeoutException)
        {
            return false;
        }
    }

    private ILogger Logger => programHost.Logger;
}
