namespace OneKvm.Remotes.Guest;

/// <summary>
/// SYNC_TIME=yes: after a restore the guest clock is behind by the time it spent
/// saved, after a migration by its downtime. The QEMU guest agent sets it (virsh domtime
/// --sync), tried up to 4 times 5 s apart as upstream, in a process of its own
/// (`onekvm sync-time &lt;domain&gt; [&lt;libvirt URI&gt;]`) so that the action answers at once.
/// </summary>
internal static class GuestClockSync
{
    public const string ToolCommand = "sync-time";

    public static readonly Driver.ToolCommand Row = new([ToolCommand], args => args.Count is 2 or 3, SyncTimeAsync)
    {
        Help = ("onekvm sync-time DOMAIN [URI]", "sync the guest clock through its agent (SYNC_TIME of restore, migrate)"),
        Manual = [("sync-time DOMAIN [URI]", "Syncs a guest's clock through its agent (what restore and migrate start when SYNC_TIME=yes).")],
    };

    private static async Task<int> SyncTimeAsync(Driver.ToolCall call)
    {
        try
        {
            return await RunAsync(call.Virsh(), call.Args[1], call.Args.Count == 3 ? call.Args[2] : null, call.CancellationToken).ConfigureAwait(false)
                ? ExitCodes.Success
                : ExitCodes.Failure;
        }
        catch (OneKvmException e)
        {
            call.Host.Stderr.WriteLine(e.Message);
            return ExitCodes.Safe(e.ExitCode);
        }
    }

    /// <summary>Starts the sync in the background; never fails the action that asks for it.</summary>
    /// <param name="uri">the libvirt of another host (a migration's destination); null: LIBVIRT_URI</param>
    public static void Start(IProgramHost host, string domain, string? uri = null)
    {
        // the binary the entry stubs run: ${0%/*}/onekvm; its output to pipes of this process, not the ssh session's:
        // one_vmm_exec must not wait for it
        var sync = ProgramCommand.Create(Path.Combine(host.EntryDirectory, ActionEntry.BinaryName),
                uri is null ? [ToolCommand, domain] : [ToolCommand, domain, uri])
            .WithEnvironment([new(RemotesLocation.KvmrcOverrideVariable, host.KvmrcPath)]);
        if (host.Programs.Start(sync) is { } reason)
        {
            host.Logger.ClockSyncNotStarted(domain, reason);
            return;
        }
        host.Logger.ClockSyncStarted(domain);
    }

    /// <summary>The sync itself: tried again while it fails and the domain runs; false when it never worked or the domain is gone or stopped.</summary>
    public static async Task<bool> RunAsync(VirshRunner virsh, string domain, string? uri, CancellationToken cancellationToken)
    {
        virsh = uri is null ? virsh : virsh.WithUri(uri);
        var sync = VirshCommand.Create("domtime", "--domain", domain, "--sync")
            .WithRetry(RetryPolicy.Unset.WithAttempts(4).WithDelay(TimeSpan.FromSeconds(5)).WithRetryWhen((_, ct) => RunsAsync(virsh, domain, ct)));
        return await RunsAsync(virsh, domain, cancellationToken).ConfigureAwait(false)
            && (await virsh.TryRunAsync(sync, cancellationToken).ConfigureAwait(false)).Succeeded;
    }

    private static async ValueTask<bool> RunsAsync(VirshRunner virsh, string domain, CancellationToken cancellationToken) =>
        await virsh.Domain(domain).StateAsync(cancellationToken).ConfigureAwait(false) is not (null or "shut off");
}
