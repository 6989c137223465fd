using System.ComponentModel;
using CliWrap;
using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Virsh;
using OneKvm.Remotes.Lifecycle;

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
    public const int Attempts = 4;
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(5);

    /// <summary>Starts the sync in the background; never fails the action that asks for it.</summary>
    /// <param name="uri">the libvirt of another host (a migration's destination); null: LIBVIRT_URI</param>
    public static void Start(DriverContext context, string domain, string? uri = null)
    {
        // the binary the entry stubs run: ${0%/*}/onekvm
        var binary = Path.Combine(context.Location.EntryDirectory, ActionTable.BinaryName);
        try
        {
            // output to pipes of this process, not the ssh session's: one_vmm_exec must not wait for it
            _ = Cli.Wrap(binary)
                .WithArguments(uri is null ? [ToolCommand, domain] : [ToolCommand, domain, uri])
                .WithEnvironmentVariables(env => env.Set(RemotesLocation.KvmrcOverrideVariable, context.Location.KvmrcPath))
                .WithValidation(CommandResultValidation.None)
                .ExecuteAsync(CancellationToken.None);
            context.Logger.ClockSyncStarted(domain);
        }
        catch (Win32Exception e)
        {
            context.Logger.ClockSyncNotStarted(domain, e.Message);
        }
    }

    /// <summary>The sync itself: stops when it worked, or when the domain is gone or stopped.</summary>
    public static async Task<bool> RunAsync(DriverContext context, string domain, string? uri, CancellationToken cancellationToken)
    {
        var virsh = uri is null ? context.Virsh : context.Virsh.WithUri(uri);
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            if (await virsh.Domain(domain).StateAsync(cancellationToken).ConfigureAwait(false) is null or "shut off")
            {
                return false;
            }
            var sync = await virsh.TryRunAsync(VirshCommand.Create("domtime", "--domain", domain, "--sync"), cancellationToken)
                .ConfigureAwait(false);
            if (sync.Succeeded)
            {
                return true;
            }
            if (attempt < Attempts)
            {
                await context.SleepAsync(Delay, cancellationToken).ConfigureAwait(false);
            }
        }
        return false;
    }
}
