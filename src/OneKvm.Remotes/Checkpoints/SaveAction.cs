namespace OneKvm.Remotes.Checkpoints;

/// <summary>
/// save: writes the domain's memory to the checkpoint file and stops it. An older
/// checkpoint is moved aside first (&lt;file&gt;.&lt;epoch&gt;), never overwritten, and put
/// back if the save fails, so a failed save changes nothing. The save itself has no
/// VIRSH_TIMEOUT (its length is the guest's memory). Then the save.&lt;TM_MAD&gt; hook of
/// the system datastore runs, which upstream never reached.
/// </summary>
internal sealed class SaveAction : IDriverAction
{
    private static readonly ActionParameter CheckpointFile = new("checkpoint_file", "where the checkpoint is written");
    public static readonly ActionEntry Row = ActionEntry.Vmm("save", "Save the domain's memory to a checkpoint file and stop it.",
        [DeployId, CheckpointFile, ThisHost.Optional(), VmId, VmHost],
        ActionEntry.ActionData, ActionEntry.Nothing, () => new SaveAction());

    /// <summary>
    /// Created by this (oneadmin) process before libvirt writes it, so that the driver can
    /// move it later; readable by the group for a QEMU running as oneadmin on root-squash
    /// NFS. Upstream made guest memory world-readable (0666).
    /// </summary>
    public const UnixFileMode CheckpointMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var file = arguments[CheckpointFile];
        // read first: garbage on stdin fails the action before anything changed
        var stdin = await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false);
        var data = string.IsNullOrWhiteSpace(stdin) ? null : ActionData.Parse(stdin);
        var hook = DatastoreHook.Find(context, "save", data?.SystemTmMad);

        try
        {
            // libvirt (root) writes the checkpoint: never through a link another user planted in a parent directory
            TrustedPath.CheckDirectoryOf(file);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new OneKvmException($"Could not save domain {domain} to {file}: {e.Message}.", e);
        }
        string? aside = null;
        if (File.Exists(file))
        {
            // run again after an interrupted save that libvirt finished: the domain is gone and this file holds it
            if (await IsSavedInAsync(context, domain, file, cancellationToken).ConfigureAwait(false))
            {
                context.Logger.AlreadySaved(domain, file);
                await AfterSaveAsync(context, hook, stdin, arguments, cancellationToken).ConfigureAwait(false);
                return;
            }
            aside = CheckpointSetAside.Move(file, context.Time.GetUtcNow().ToUnixTimeSeconds());
            context.Logger.CheckpointMovedAside(file, aside);
        }
        var created = false;
        try
        {
            CreateEmpty(file);
            created = true;
            var save = VirshCommand.Create("save", "--domain", domain, "--file", file).WithoutDeadline().RetriedWhileBlockJob();
            await BlockJobRetry.Runner(context.Virsh).RunOrFailAsync(save, $"Could not save domain {domain} to {file}", cancellationToken)
                .ConfigureAwait(false);
        }
        catch (OneKvmException e)
        {
            // libvirtd restarted under the save: it may have finished it before it went
            var restarted = await LibvirtdComeback.WaitIfLostAsync(context.Virsh, context.Time, domain, e).ConfigureAwait(false);
            if (restarted && await IsSavedInAsync(context, domain, file, CancellationToken.None).ConfigureAwait(false))
            {
                context.Logger.SavedDespiteRestart(domain, file);
                await AfterSaveAsync(context, hook, stdin, arguments, cancellationToken).ConfigureAwait(false);
                return;
            }
            // not on cancellation: libvirtd may still be writing the checkpoint the killed virsh asked for
            await PutBackAsync(context, domain, file, created, aside).ConfigureAwait(false);
            if (restarted)
            {
                throw new OneKvmException($"Could not save domain {domain} to {file}: libvirtd restarted during the save and did not finish it.", e);
            }
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the killed virsh does not stop libvirt: if it finishes the save, the save happened. The hook
            // (a copy of the whole checkpoint) is not started after a signal: a run again does it.
            if (hook is not null || !await InterruptedJob.SettleAsync(context.Virsh, domain,
                    async state => state is null or "shut off" && await HoldsAsync(context, domain, file, CancellationToken.None).ConfigureAwait(false))
                .ConfigureAwait(false))
            {
                throw;
            }
            context.Logger.SavedDespiteInterruption(domain, file);
            return;
        }
        await AfterSaveAsync(context, hook, stdin, arguments, cancellationToken).ConfigureAwait(false);
    }

    private static async Task AfterSaveAsync(DriverContext context, string? hook, string stdin, ActionArguments arguments,
        CancellationToken cancellationToken)
    {
        await MemoryCleanup.RunIfAsync(context.Settings.CleanupMemoryOnStop, context, wait: false, cancellationToken)
            .ConfigureAwait(false);
        if (hook is not null)
        {
            await DatastoreHook.RunAsync(context, hook, stdin, arguments.Given, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// True when the domain is gone and <paramref name="file"/> is a complete save image of it (libvirt
    /// marks an image complete only once the save has finished; save-image-dumpxml refuses one that is not).
    /// </summary>
    private static async Task<bool> IsSavedInAsync(DriverContext context, string domain, string file, CancellationToken cancellationToken) =>
        await context.Virsh.Domain(domain).IsGoneAsync(cancellationToken).ConfigureAwait(false)
        && await HoldsAsync(context, domain, file, cancellationToken).ConfigureAwait(false);

    /// <summary>True when <paramref name="file"/> is a complete save image of <paramref name="domain"/> (by name or UUID).</summary>
    private static async Task<bool> HoldsAsync(DriverContext context, string domain, string file, CancellationToken cancellationToken)
    {
        var dump = await context.Virsh.TryRunAsync(VirshCommand.Create("save-image-dumpxml", "--file", file), cancellationToken)
            .ConfigureAwait(false);
        if (!dump.Succeeded)
        {
            return false;
        }
        var saved = SafeXml.Parse(dump.StandardOutput, $"the domain XML saved in {file}").Root!;
        return saved.Element("name")?.Value.Trim() == domain
            || string.Equals(saved.Element("uuid")?.Value.Trim(), domain, StringComparison.OrdinalIgnoreCase);
    }

    private static void CreateEmpty(string file)
    {
        try
        {
            new FileStream(file, FileMode.CreateNew, FileAccess.Write).Dispose();
            File.SetUnixFileMode(file, CheckpointMode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OneKvmException($"Could not create the checkpoint file {file}: {e.Message.TrimEnd('.')}.", e);
        }
    }

    /// <summary>
    /// A failed save leaves the checkpoint as it found it: what it wrote goes, the old one
    /// comes back. Unless the domain is gone and libvirt wrote something: then that file may be
    /// all that is left of the guest, and both stay.
    /// </summary>
    private static async Task PutBackAsync(DriverContext context, string domain, string file, bool created, string? aside)
    {
        try
        {
            if (created && new FileInfo(file) is { Exists: true } written)
            {
                if (written.Length > 0 && await IsGoneAsync(context, domain).ConfigureAwait(false))
                {
                    context.Logger.CheckpointKeptAfterFailure(file, domain);
                    return;
                }
                File.Delete(file);
            }
            if (aside is not null)
            {
                File.Move(aside, file, overwrite: false);
                context.Logger.CheckpointPutBack(aside, file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the old checkpoint is still safe under its aside name
            context.Logger.CheckpointNotPutBack(aside ?? "", file, e.Message);
        }
    }

    private static async Task<bool> IsGoneAsync(DriverContext context, string domain)
    {
        try
        {
            return await context.Virsh.Domain(domain).IsGoneAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (VirshException)
        {
            // cannot tell: keep everything
            return true;
        }
    }
}
