namespace OneKvm.Remotes.Migration;

/// <summary>What migrate and migrate_local read before they start.</summary>
internal static class MigrationInput
{
    /// <summary>The action data, when one_vmm_exec sent any (migrate_local's upstream ignores it).</summary>
    public static async Task<ActionData?> ReadAsync(DriverContext context, CancellationToken cancellationToken)
    {
        var stdin = await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(stdin) ? null : ActionData.Parse(stdin);
    }

    public static bool IsSameHost(string sourceHost, string destinationHost) =>
        string.Equals(sourceHost, destinationHost, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Source and destination are one host: a move to another system datastore when the action
    /// data names another VM directory (DS_LIVE_MIGRATE), otherwise there is nothing to do.
    /// </summary>
    public static MigrationStorage DatastoreChange(string domain, string host, ActionData? data, string? vmId) =>
        MigrationStorage.From(data, vmId) is { ChangesDirectory: true } storage
            ? storage
            : throw new OneKvmException(
                $"Source and destination of {domain} are both {host} and its VM directory stays the same: there is nothing to migrate.");
}
