namespace OneKvm.Remotes.Migration;

/// <summary>
/// The files of a VM whose system datastore is not shared, moved to another host around
/// its live migration (<see cref="StorageCopyPlan"/> says what goes how). Before: the VM
/// directory is made on the destination, the images libvirt will mirror are created there
/// empty (sparse) and every other file is copied with rsync over ssh (sparse files stay
/// sparse, symlinks stay symlinks). After the switchover, while the VM is still paused,
/// the files QEMU wrote besides its disks. Whatever was made on the destination can be
/// removed again; the source's files are only ever read.
/// </summary>
internal sealed class StorageCopy(IProgramHost host, TimeProvider time, HostShell source, string destinationHost, StorageCopyPlan plan)
{
    /// <summary>What the destination had before: null while nothing was made there, else whether onekvm made the VM directory.</summary>
    private bool? _madeDirectory;

    /// <summary>The call that makes the VM directory ended without an answer: it may have made it, empty.</summary>
    private bool _unanswered;

    public StorageCopyPlan Plan => plan;

    private MigrationStorage Storage => plan.Storage;

    /// <summary>
    /// Makes the VM directory on the destination (refusing one that holds files already),
    /// the empty images of the live disks and a copy of every other file.
    /// </summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var directory = ShellQuote.Quote(Storage.DestinationDirectory);
        // "made": onekvm created it and removes it on failure; "empty": it was there, empty, and is emptied again
        var line = $"mkdir -p -- {ShellQuote.Quote(PosixPath.Dirname(Storage.DestinationDirectory))} && "
                   + $"if mkdir -- {directory} 2>/dev/null; then echo made; "
                   + $"elif [ -d {directory} ] && [ -z \"$(ls -A -- {directory})\" ]; then echo empty; "
                   + $"else echo {ShellQuote.Quote($"{Storage.DestinationDirectory} already exists and is not empty")} >&2; exit 1; fi";
        // alone, so that onekvm knows what it made there before anything else is made (a signal may come next)
        string made;
        _unanswered = true;
        try
        {
            made = await RunOnDestinationAsync(line, "Preparing the VM directory", cancellationToken).ConfigureAwait(false);
        }
        catch (OneKvmException)
        {
            _unanswered = false; // it answered: nothing was made
            throw;
        }
        _unanswered = false;
        _madeDirectory = made.Trim().StartsWith("made", StringComparison.Ordinal);

        // the copy and the empty images together, each over its own ssh connection: the images name their backing
        // files without opening them (-u), so they need not wait for the copy; whatever fails, the directory is onekvm's to clear
        var started = time.GetTimestamp();
        var copying = CopyFilesAsync(only: null, cancellationToken);
        var creating = Plan.Live.Count > 0
            ? RunOnDestinationAsync(string.Join(" && ", Plan.Live.Select(CreateLine)), "Creating the disk images", cancellationToken)
            : Task.FromResult("");
        await Task.WhenAll(copying, creating).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await copying.ConfigureAwait(false);
        host.Logger.FilesCopied(Storage.SourceDirectory, destinationHost, time.GetElapsedTime(started).TotalSeconds);
        await creating.ConfigureAwait(false);
    }

    /// <summary>
    /// While the VM is paused on the source, just before the switchover: the images with internal
    /// snapshots again, over their copy made while it ran (rsync sends only what changed since).
    /// </summary>
    public async Task CopyWhilePausedAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        await CopyFilesAsync(Plan.PausedCopy.Select(d => d.Relative).ToList(), cancellationToken).ConfigureAwait(false);
        host.Logger.PausedCopyDone(string.Join(", ", Plan.PausedCopy.Select(d => d.Target)), destinationHost,
            time.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>After the switchover, while the VM is paused on the destination: the files QEMU wrote besides its disks.</summary>
    public Task CopyAfterSwitchoverAsync() =>
        Plan.AfterSwitchover.Count > 0 ? CopyFilesAsync(Plan.AfterSwitchover, CancellationToken.None) : Task.CompletedTask;

    /// <summary>Removes what <see cref="PrepareAsync"/> made on the destination; a problem is returned, not thrown.</summary>
    public async Task<string?> RemoveFromDestinationAsync()
    {
        if (_madeDirectory is null && !_unanswered)
        {
            return null;
        }
        var directory = ShellQuote.Quote(Storage.DestinationDirectory);
        // unanswered: only an empty directory can be onekvm's (a refused one holds files, and stays)
        var line = _madeDirectory switch
        {
            true => $"rm -rf -- {directory}",
            false => $"find {directory} -mindepth 1 -delete",
            null => $"rmdir -- {directory} 2>/dev/null || true",
        };
        try
        {
            await RunOnDestinationAsync(line, "Removing the copied files", CancellationToken.None).ConfigureAwait(false);
            host.Logger.DestinationFilesRemoved(Storage.DestinationDirectory, destinationHost);
            return null;
        }
        catch (OneKvmException e)
        {
            return $"its files in {Storage.DestinationDirectory} on {destinationHost} could not be removed: {e.Message.TrimEnd('.')}";
        }
    }

    /// <summary>
    /// When the VM directory changes with the host (another system datastore there): the
    /// domain's migratable XML with every path in the old directory moved to the new one (the
    /// metadata's system_datastore too), for `virsh migrate --xml`; null when it stays the same.
    /// </summary>
    public async Task<string?> DestinationXmlAsync(VirshRunner source, string domain, CancellationToken cancellationToken) =>
        Storage.ChangesDirectory
            ? Storage.Relocated(await source.Domain(domain).MigratableXmlAsync(cancellationToken).ConfigureAwait(false))
                .ToString(SaveOptions.DisableFormatting)
            : null;

    private string CreateLine(LiveDisk disk)
    {
        var path = Storage.OnDestination(disk.Relative);
        return $"mkdir -p -- {ShellQuote.Quote(PosixPath.Dirname(path))} && "
               + string.Join(' ', disk.CreateCommand(path).Select(ShellQuote.Quote));
    }

    /// <summary>
    /// rsync from the source's VM directory into the destination's, over ssh: everything but
    /// <see cref="StorageCopyPlan.Excluded"/>, or <paramref name="only"/> those files.
    /// </summary>
    private Task CopyFilesAsync(IReadOnlyList<string>? only, CancellationToken cancellationToken)
    {
        var ssh = "ssh -o BatchMode=yes -o ConnectTimeout="
                  + Math.Max(1, (int)host.VirshTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        IEnumerable<string> files = only is null
            ? [.. Plan.Excluded.Select(f => "--exclude=/" + f), Storage.SourceDirectory + "/"]
            // -I: a file written in the same second as its earlier copy looks unchanged to rsync's quick check
            : ["-I", "--relative", .. only.Select(f => Storage.SourceDirectory + "/./" + f)];
        // -s: the paths reach the other side as they are, not through its shell
        return RsyncAsync(source, ["-s", "-e", ssh, .. files, $"{destinationHost}:{Storage.DestinationDirectory}/"],
            $"{Storage.SourceDirectory} to {destinationHost}", cancellationToken);
    }

    /// <summary>
    /// rsync -a -S (holes stay holes) with <paramref name="arguments"/>, on the host of <paramref name="shell"/>; a failure
    /// says "rsync of <paramref name="what"/> failed".
    /// </summary>
    public static async Task RsyncAsync(HostShell shell, IEnumerable<string> arguments, string what, CancellationToken cancellationToken)
    {
        // a copy's length grows with the files, not with a hang: no VIRSH_TIMEOUT
        var result = await shell.RunAsync(["rsync", "-a", "-S", .. arguments], Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new OneKvmException($"rsync of {what} failed: {result.Reason()}");
        }
    }

    private async Task<string> RunOnDestinationAsync(string line, string what, CancellationToken cancellationToken)
    {
        var timeout = host.VirshTimeout;
        var command = ProgramCommand.Tool(RemoteShell.Executable, RemoteShell.LineArguments(destinationHost, line, timeout))
            .WithLabel($"ssh {destinationHost}").WithDeadline(timeout);
        var result = await host.Programs.RunAsync(command, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result.StandardOutput : throw new OneKvmException($"{what} on {destinationHost} failed: {result.Reason()}");
    }
}
