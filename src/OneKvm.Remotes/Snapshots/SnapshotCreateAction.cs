using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Logging;
using OneKvm.Remotes.Virsh;
using OneKvm.Remotes.Host;
using OneKvm.Remotes.Xml;

namespace OneKvm.Remotes.Snapshots;

/// <summary>
/// snapshot_create: a system snapshot named snap-&lt;id&gt;, whose name is the answer.
/// Its metadata is kept in the VM directory (from the domain's OpenNebula metadata),
/// where deploy and restore find it again.
/// </summary>
internal sealed class SnapshotCreateAction : IDriverAction
{
    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments.Required("deploy_id");
        var id = arguments.Required("snapshot_id");
        if (!DatastoreHook.IsPlainName(id))
        {
            throw new UsageException($"The snapshot id '{id}' is not a plain name.");
        }
        var name = SnapshotFiles.Name(id);
        var failure = $"Could not create snapshot {name} of domain {domain}";

        var directory = await SnapshotActions.SystemDatastoreAsync(context, domain, failure, cancellationToken).ConfigureAwait(false);
        // no VIRSH_TIMEOUT: it writes the guest's memory; a killed virsh would not stop libvirtd anyway
        var create = VirshCommand.Create("snapshot-create-as", "--domain", domain, "--name", name).WithoutDeadline().RetriedWhileBlockJob();
        await BlockJobRetry.Runner(context.Virsh).RunOrFailAsync(create, failure, cancellationToken).ConfigureAwait(false);

        if (directory is null)
        {
            context.Logger.NoSystemDatastore(domain);
        }
        else
        {
            await SnapshotMetadata.DumpAsync(context, domain, name, directory, cancellationToken).ConfigureAwait(false);
        }
        await context.Stdout.WriteLineAsync(name).ConfigureAwait(false);
    }
}

/// <summary>What the snapshot actions share.</summary>
internal static class SnapshotActions
{
    /// <summary>The VM directory from the domain's metadata; a failure to ask is the action's failure.</summary>
    public static async Task<string?> SystemDatastoreAsync(DriverContext context, string domain, string failure,
        CancellationToken cancellationToken)
    {
        try
        {
            return await OneMetadata.SystemDatastoreAsync(context, domain, cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException e)
        {
            throw VirshRunnerExtensions.ActionFailure(failure, e);
        }
        catch (OneKvmException e)
        {
            throw new OneKvmException($"{failure}: {e.Message.TrimEnd('.')}.", e);
        }
    }
}
