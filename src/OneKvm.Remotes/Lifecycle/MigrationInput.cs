using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Xml;

namespace OneKvm.Remotes.Lifecycle;

/// <summary>What migrate and migrate_local read before they start.</summary>
internal static class MigrationInput
{
    /// <summary>The action data, when one_vmm_exec sent any (migrate_local's upstream ignores it).</summary>
    public static async Task<ActionData?> ReadAsync(DriverContext context, CancellationToken cancellationToken)
    {
        var stdin = await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(stdin) ? null : ActionData.Parse(stdin);
    }

    public static void RefuseSameHost(string domain, string sourceHost, string destinationHost)
    {
        if (string.Equals(sourceHost, destinationHost, StringComparison.OrdinalIgnoreCase))
        {
            throw new OneKvmException(
                $"Source and destination of {domain} are both {destinationHost}: onekvm does not move a running VM between system datastores of one host.");
        }
    }
}
