using OneKvm.Remotes.Snapshots;

namespace OneKvm.Remotes.Migration;

/// <summary>
/// A running VM moved to another system datastore of the same host (DS_LIVE_MIGRATE: migrate
/// with the same source and destination host and another DISK_TARGET_PATH). The new VM
/// directory gets every file but the images QEMU writes (rsync, sparse); each of those is
/// copied live into an image made there with the same format, size and backing file
/// (`virsh blockcopy --reuse-external`, only the top layer of a chain). Only once every copy
/// has caught up are the disks switched to their copies (`blockjob --pivot`), so a failure
/// before that aborts every copy and leaves the VM on its old files, untouched, with the new
/// directory removed. Then CD-ROMs are changed to their copies and the system_datastore of
/// OpenNebula's metadata in the domain is rewritten. The old files stay for the TM driver.
/// </summary>
internal sealed class DatastoreMove(KvmSettings settings, ILogger logger, TimeProvider time, string domain, string host, VirshRunner virsh,
    HostShell shell, MigrationStorage directories)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var info = await virsh.Domain(domain).InfoAsync(cancellationToken).ConfigureAwait(false)
                   ?? throw new OneKvmException($"Domain {domain} does not exist on {host}; nothing was moved.");
        if (!info.IsActive)
        {
            throw new OneKvmException($"Domain {domain} is shut off on {host}: only a running domain can be moved live.");
        }
        var journal = new SnapshotJournal(shell, directories.SourceDirectory);
        var disks = DomainDisk.From(await virsh.Domain(domain).XmlAsync(cancellationToken, $"Could not read the disks of domain {domain}")
            .ConfigureAwait(false)).Where(d => !d.IsReadOnly && d.File is not null).Select(d => d.File!).ToList();
        // a run cut off after its last switch: the domain runs from the new directory
        var moved = disks.Any(f => f.StartsWith(directories.DestinationDirectory + "/", StringComparison.Ordinal))
            && !disks.Any(f => f.StartsWith(directories.SourceDirectory + "/", StringComparison.Ordinal));
        // a run cut off between dropping the snapshot metadata and redefining it: back first, naming the files the domain runs from
        await SnapshotCarry.RecoverAsync(logger, virsh, domain, host, journal, cancellationToken, moved ? directories.Relocated : null)
            .ConfigureAwait(false);
        if (moved)
        {
            await RewriteMetadataAsync(info.Persistent).ConfigureAwait(false);
            logger.MovedDatastore(domain, directories.DestinationDirectory, 0);
            return;
        }
        var plan = await StorageCopyPlan.ReadAsync(settings.VirshTimeout, logger, virsh, shell, domain, directories, cancellationToken)
            .ConfigureAwait(false);
        var storage = plan.Storage;
        logger.MovingDatastore(domain, storage.SourceDirectory, storage.DestinationDirectory);

        var madeDirectory = await MakeDirectoryAsync(storage.DestinationDirectory, cancellationToken).ConfigureAwait(false);
        var copying = new List<LiveDisk>();
        SnapshotCarry? snapshots = null;
        var paused = false;
        try
        {
            await CopyFilesAsync(plan, cancellationToken).ConfigureAwait(false);
            foreach (var disk in plan.Live)
            {
                var path = storage.OnDestination(disk.Relative);
                await shell.RunOrFailAsync(["mkdir", "-p", "--", PosixPath.Dirname(path)], "mkdir", settings.VirshTimeout, cancellationToken)
                    .ConfigureAwait(false);
                await shell.RunOrFailAsync(disk.CreateCommand(path), $"Creating {path}", settings.VirshTimeout, cancellationToken)
                    .ConfigureAwait(false);
            }
            snapshots = await SnapshotCarry.TakeAsync(logger, virsh, domain, host, journal, cancellationToken).ConfigureAwait(false);
            if (plan.PausedCopy.Count > 0)
            {
                paused = await plan.PauseForPausedCopyAsync(logger, virsh, domain, info, cancellationToken).ConfigureAwait(false);
                await CopyPausedAsync(plan, cancellationToken).ConfigureAwait(false);
                await ResumeAsync(cancellationToken).ConfigureAwait(false);
                paused = false;
            }
            foreach (var disk in plan.Live.Concat(plan.PausedCopy))
            {
                copying.Add(disk);
                await virsh.RunOrFailAsync(CopyCommand(disk, storage, info.Persistent), $"Could not copy disk {disk.Target} of {domain}",
                    cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OneKvmException || e is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            var problems = new List<string>();
            if (paused)
            {
                try
                {
                    await ResumeAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (OneKvmException resume)
                {
                    problems.Add(resume.Message.TrimEnd('.'));
                }
            }
            foreach (var disk in copying)
            {
                var abort = await virsh.TryRunAsync(VirshCommand.Create("blockjob", "--domain", domain, "--path", disk.Target, "--abort"),
                    CancellationToken.None).ConfigureAwait(false);
                // a copy that failed on its own has no job left to abort
                if (!abort.Succeeded && !abort.StandardError.Contains("does not have an active block job", StringComparison.OrdinalIgnoreCase)
                    && !abort.StandardError.Contains("no active block job", StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add($"the copy of {disk.Target} could not be aborted: {new VirshException(abort).Reason()}");
                }
            }
            if (snapshots is not null)
            {
                await snapshots.PutBackAsync(logger, virsh, host).ConfigureAwait(false);
            }
            await RemoveAsync(storage.DestinationDirectory, madeDirectory, problems).ConfigureAwait(false);
            var trouble = problems.Count > 0 ? "; but " + string.Join("; ", problems) : "";
            throw e is OperationCanceledException
                ? new OneKvmException(
                    $"The move of {domain} to {storage.DestinationDirectory} was interrupted by a signal and aborted; it keeps running on {host} from {storage.SourceDirectory}{trouble}.")
                : new OneKvmException(
                    $"Could not move {domain} to {storage.DestinationDirectory}: {e.Message.TrimEnd('.')}; it keeps running on {host} from {storage.SourceDirectory}{trouble}.",
                    e);
        }

        // every copy is in step with its disk: from here on the VM moves, whatever happens
        var switched = new List<string>();
        foreach (var disk in plan.Live.Concat(plan.PausedCopy))
        {
            await virsh.RunOrFailAsync(VirshCommand.Create("blockjob", "--domain", domain, "--path", disk.Target, "--pivot"),
                $"Could not switch disk {disk.Target} of {domain} to {storage.OnDestination(disk.Relative)} (already switched: {(switched.Count > 0 ? string.Join(", ", switched) : "none")})",
                CancellationToken.None).ConfigureAwait(false);
            switched.Add(disk.Target);
        }
        foreach (var (disk, relative) in plan.ReadOnly.Where(r => r.Disk.Device is "cdrom" or "floppy"))
        {
            await virsh.RunOrFailAsync(
                VirshCommand.Create("change-media", "--domain", domain, "--path", disk.Target, "--source", storage.OnDestination(relative),
                    "--update", "--force"),
                $"Could not change the medium of {disk.Target} of {domain} to {storage.OnDestination(relative)}", CancellationToken.None)
                .ConfigureAwait(false);
        }
        await RewriteMetadataAsync(info.Persistent).ConfigureAwait(false);
        snapshots!.Relocate(storage.Relocated);
        await snapshots.PutBackAsync(logger, virsh, host).ConfigureAwait(false);
        logger.MovedDatastore(domain, storage.DestinationDirectory, plan.Live.Count + plan.PausedCopy.Count);
    }

    /// <summary>
    /// The images with internal snapshots, which a mirror would not carry, are copied as files (sparse) while the VM is
    /// paused (QEMU flushes its images when it stops: the copy is a consistent image, snapshots included); once it runs
    /// again each is mirrored into its copy like the other disks, which brings what the guest wrote since.
    /// </summary>
    private async Task CopyPausedAsync(StorageCopyPlan plan, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        await StorageCopy.RsyncAsync(shell,
            ["--relative", .. plan.PausedCopy.Select(d => plan.Storage.SourceDirectory + "/./" + d.Relative), plan.Storage.DestinationDirectory + "/"],
            $"the images with internal snapshots to {plan.Storage.DestinationDirectory}", cancellationToken).ConfigureAwait(false);
        logger.PausedCopyDone(string.Join(", ", plan.PausedCopy.Select(d => d.Target)), host, time.GetElapsedTime(started).TotalSeconds);
    }

    private Task ResumeAsync(CancellationToken cancellationToken) =>
        virsh.RunOrFailAsync(VirshCommand.Create("resume", "--domain", domain), $"Could not resume {domain}", cancellationToken);

    private ProgramCommand CopyCommand(LiveDisk disk, MigrationStorage storage, bool persistent)
    {
        // --wait without --pivot returns once the copy is in step, leaving the job mirroring
        var command = VirshCommand.Create("blockcopy", "--domain", domain, "--path", disk.Target, "--dest", storage.OnDestination(disk.Relative),
                "--format", disk.Image.Format, "--reuse-external", "--wait")
            .WithoutDeadline();
        command = disk.Image.Backing is null ? command : command.WithArguments("--shallow");
        // libvirt copies a persistent domain's disk only as a job that does not survive a restart
        return persistent ? command.WithArguments("--transient-job") : command;
    }

    /// <summary>True when the directory was made here; false when it existed, empty. One that holds files is refused.</summary>
    private async Task<bool> MakeDirectoryAsync(string directory, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(60);
        await shell.RunOrFailAsync(["mkdir", "-p", "--", PosixPath.Dirname(directory)], "mkdir", timeout, cancellationToken).ConfigureAwait(false);
        if ((await shell.RunAsync(["mkdir", "--", directory], timeout, cancellationToken).ConfigureAwait(false)).ExitCode == 0)
        {
            return true;
        }
        var listing = await shell.RunOrFailAsync(["find", directory, "-mindepth", "1", "-maxdepth", "1"], $"Listing {directory}", timeout,
            cancellationToken).ConfigureAwait(false);
        return listing.Trim().Length == 0
            ? false
            : throw new OneKvmException($"{directory} already exists on {host} and is not empty; {domain} was not moved.");
    }

    private Task CopyFilesAsync(StorageCopyPlan plan, CancellationToken cancellationToken) =>
        StorageCopy.RsyncAsync(shell,
            [
                // the images with internal snapshots are copied while the VM is paused (a copy of a qcow2 being written is no image)
                .. plan.Excluded.Concat(plan.PausedCopy.Select(d => d.Relative)).Select(f => "--exclude=/" + f),
                plan.Storage.SourceDirectory + "/", plan.Storage.DestinationDirectory + "/",
            ],
            $"{plan.Storage.SourceDirectory} to {plan.Storage.DestinationDirectory}", cancellationToken);

    private async Task RemoveAsync(string directory, bool made, List<string> problems)
    {
        IReadOnlyList<string> command = made ? ["rm", "-rf", "--", directory] : ["find", directory, "-mindepth", "1", "-delete"];
        try
        {
            await shell.RunOrFailAsync(command, $"Removing {directory}", TimeSpan.FromMinutes(5), CancellationToken.None).ConfigureAwait(false);
            logger.DestinationFilesRemoved(directory, host);
        }
        catch (OneKvmException e)
        {
            problems.Add($"{directory} could not be removed: {e.Message.TrimEnd('.')}");
        }
    }

    /// <summary>OpenNebula's metadata names the VM directory (system_datastore): it now names the new one.</summary>
    private async Task RewriteMetadataAsync(bool persistent)
    {
        var read = await virsh.TryRunAsync(
            VirshCommand.Create("metadata", "--domain", domain, "--uri", settings.LibvirtMetadataUri).WithReadOnly(), CancellationToken.None)
            .ConfigureAwait(false);
        if (!read.Succeeded || string.IsNullOrWhiteSpace(read.StandardOutput))
        {
            logger.MetadataNotRewritten(domain, read.Succeeded ? "the domain has none" : new VirshException(read).Reason());
            return;
        }
        var metadata = SafeXml.Parse(read.StandardOutput, $"the OpenNebula metadata of {domain}").Root!;
        var element = metadata.Elements().FirstOrDefault(e => e.Name.LocalName == OneMetadata.SystemDatastoreElement);
        if (element is null)
        {
            logger.MetadataNotRewritten(domain, $"it has no {OneMetadata.SystemDatastoreElement}");
            return;
        }
        element.ReplaceNodes(new XCData(directories.DestinationDirectory));
        var set = VirshCommand.Create("metadata", "--domain", domain, "--uri", settings.LibvirtMetadataUri, "--key", settings.LibvirtMetadataKey,
            "--set", metadata.ToString(SaveOptions.DisableFormatting), "--live");
        var result = await virsh.TryRunAsync(persistent ? set.WithArguments("--config") : set, CancellationToken.None).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            logger.MetadataNotRewritten(domain, new VirshException(result).Reason());
        }
    }
}
