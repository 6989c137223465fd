namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The domains of this host, read with one <c>virsh domstats</c> for all of them:
/// states always; NIC and disk counters when asked. <c>--nowait</c> keeps a domain
/// busy with a job (migration, save) from holding up the others. UUIDs come from the
/// QEMU command lines; a second virsh call (list) is made only for domains whose
/// process is not visible here. The probes ask libvirt's socket directly when they can
/// (<see cref="NativeDomainStats"/>): the same call without a virsh process.
/// </summary>
internal sealed class HostDomains(VirshRunner virsh, QemuProcessFinder finder, ILogger logger, NativeDomainStats? native = null)
{
    public async Task<IReadOnlyList<OneVm>> OneVmsAsync(bool counters, CancellationToken cancellationToken)
    {
        var stats = (native is null ? null : await native.TryReadAsync(counters, cancellationToken).ConfigureAwait(false))
            ?? await VirshStatsAsync(counters, cancellationToken).ConfigureAwait(false);
        var ours = stats.Where(s => OneVmName.IdOf(s.Name) is not null).ToList();
        var processes = finder.Find(ours.Select(s => s.Name).ToList());
        var unseen = ours.Where(s => !processes.ContainsKey(s.Name)).Select(s => s.Name).ToList();
        if (unseen.Count > 0)
        {
            // hidepid or another PID namespace hides them all; a domain that stopped since domstats hides itself
            logger.UuidsListed(string.Join(", ", unseen));
        }
        var uuids = unseen.Count > 0
            ? await UuidsAsync(cancellationToken).ConfigureAwait(false)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        var vms = new List<OneVm>(ours.Count);
        foreach (var s in ours)
        {
            var process = processes.GetValueOrDefault(s.Name);
            // a domain that went away between the two calls has no UUID: the next poll will not see it either
            if ((process?.Uuid ?? uuids.GetValueOrDefault(s.Name)) is { } uuid)
            {
                vms.Add(new OneVm(OneVmName.IdOf(s.Name)!.Value, uuid, s, process));
            }
        }
        return vms;
    }

    /// <summary>One domain by name or UUID, with its process when found; null when libvirt has no such domain.</summary>
    public async Task<(DomainStats Stats, QemuProcess? Process)?> OneAsync(string domain, CancellationToken cancellationToken)
    {
        var output = await ReadAsync(() => virsh.Domain(domain).StatsAsync(StatsArguments(counters: true), cancellationToken))
            .ConfigureAwait(false);
        if (output is null)
        {
            return null;
        }
        if (DomStatsOutput.Parse(output) is not [var stats])
        {
            throw new OneKvmException($"virsh domstats {domain} did not print the statistics of one domain.");
        }
        return (stats, finder.Find([stats.Name]).GetValueOrDefault(stats.Name));
    }

    private async Task<IReadOnlyList<DomainStats>> VirshStatsAsync(bool counters, CancellationToken cancellationToken)
    {
        var command = VirshCommand.Create("domstats", StatsArguments(counters)).WithArguments("--list-active").WithReadOnly();
        var result = await ReadAsync(() => virsh.RunAsync(command, cancellationToken)).ConfigureAwait(false);
        return DomStatsOutput.Parse(result.StandardOutput);
    }

    private static string[] StatsArguments(bool counters) =>
        counters ? ["--state", "--interface", "--block", "--nowait"] : ["--state", "--nowait"];

    /// <summary>UUID by name of every active domain (virsh list --uuid --name prints "uuid name").</summary>
    private async Task<Dictionary<string, string>> UuidsAsync(CancellationToken cancellationToken)
    {
        var list = await ReadAsync(() => virsh.RunAsync(VirshCommand.Create("list", "--uuid", "--name").WithReadOnly(), cancellationToken))
            .ConfigureAwait(false);
        var uuids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && Guid.TryParseExact(line[..space], "D", out _))
            {
                uuids[line[(space + 1)..].Trim()] = line[..space].ToLowerInvariant();
            }
        }
        return uuids;
    }

    /// <summary>Never guesses: no answer from libvirt is a failed probe, not every VM powered off.</summary>
    private async Task<T> ReadAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (VirshException e)
        {
            throw VirshRunnerExtensions.ActionFailure($"Could not read the domains from libvirt at {virsh.Uri}", e);
        }
    }
}
