namespace OneKvm.Remotes.Snapshots;

/// <summary>
/// snapshot_create: a system snapshot named snap-&lt;id&gt;, whose name is the answer.
/// Its metadata is kept in the VM directory (from the domain's OpenNebula metadata),
/// where deploy and restore find it again.
/// </summary>
internal sealed class SnapshotCreateAction : IDriverAction
{
    private static readonly ActionParameter SnapshotId = new("snapshot_id", "OpenNebula snapshot ID");
    public static readonly ActionEntry Row = ActionEntry.Vmm("snapshot_create", "Create a system snapshot snap-<id> and answer its name.",
        [DeployId, SnapshotId, VmId, VmHost], ActionEntry.ActionData, "the snapshot name (its hypervisor id)", () => new SnapshotCreateAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var id = arguments[SnapshotId];
        if (!DatastoreHook.IsPlainName(id))
        {
            throw new UsageException($"The snapshot id '{id}' is not a plain name.");
        }
        var name = SnapshotFiles.Name(id);
        var failure = $"Could not create snapshot {name} of domain {domain}";

        var directory = await SnapshotActions.SystemDatastoreAsync(context, domain, failure, cancellationToken).ConfigureAwait(false);
        if (directory is not null)
        {
            await SnapshotCarry.RecoverHereAsync(context, domain, directory, cancellationToken).ConfigureAwait(false);
        }
        // no VIRSH_TIMEOUT: it writes the guest's memory; a killed virsh would not stop libvirtd anyway
        var create = VirshCommand.Create("snapshot-create-as", "--domain", domain, "--name", name).WithoutDeadline().RetriedWhileBlockJob();
        try
        {
            await BlockJobRetry.Runner(context.Virsh).RunAsync(create, cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException e) when (e.Result.StandardError.Contains($" {name} already exists", StringComparison.Ordinal))
        {
            // oned gives a failed snapshot's id to the next one: the snapshot there is what a killed create left
            context.Logger.LeftoverSnapshotReplaced(domain, name);
            await context.Virsh.RunOrFailAsync(SnapshotActions.DeleteCommand(domain, name), failure, cancellationToken).ConfigureAwait(false);
            await BlockJobRetry.Runner(context.Virsh).RunOrFailAsync(create, failure, cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException e)
        {
            throw VirshRunnerExtensions.ActionFailure(failure, e);
        }

        if (directory is null)
        {
            context.Logger.NoSystemDatastore(domain);
        }
        else
        {
            await SnapshotMetadata.DumpAsync(context.Virsh, context.Logger, domain, name, directory, cancellationToken).ConfigureAwait(false);
        }
        await context.Stdout.WriteLineAsync(name).ConfigureAwait(false);
    }
}

internal static class SnapshotActions
{
    /// <summary>No VIRSH_TIMEOUT: freeing an internal snapshot rewrites the qcow2 metadata of every disk.</summary>
    public static ProgramCommand DeleteCommand(string domain, string name) =>
        VirshCommand.Create("snapshot-delete", "--domain", domain, "--snapshotname", name).WithoutDeadline();

    public static bool IsNoSuchSnapshot(VirshException e) =>
        e.Result.StandardError.Contains("no domain snapshot with matching name", StringComparison.Ordinal);

    /// <summary>The VM directory from the domain's metadata; a failure to ask is the action's failure.</summary>
    public static async Task<string?> SystemDatastoreAsync(DriverContext context, string domain, string failure,
        CancellationToken cancellationToken)
    {
        try
        {
            return await context.Virsh.Domain(domain).SystemDatastoreAsync(context.Settings, cancellationToken).ConfigureAwait(false);
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
