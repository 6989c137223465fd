namespace OneKvm.Remotes.Snapshots;

/// <summary>
/// libvirt refuses to migrate a domain that has snapshots, although internal snapshots
/// live in the qcow2 images and travel with them. So their metadata is read (with the
/// display passwords), dropped, and redefined where the domain ends up: on the
/// destination after a migration, back on the source after a failed one (upstream lost
/// it there), parents before children, the current one marked current again.
/// </summary>
internal sealed class SnapshotCarry
{
    private readonly List<(string Name, string Xml)> _dropped = [];

    private SnapshotCarry(string domain, string? current)
    {
        Domain = domain;
        Current = current;
    }

    public string Domain { get; }

    public string? Current { get; }

    public int Count => _dropped.Count;

    public IEnumerable<string> Names => _dropped.Select(s => s.Name);

    /// <summary>The names of the domain's snapshots, parents first: a read that may start before <see cref="TakeAsync"/>, beside others.</summary>
    public static Task<ProgramResult> ListAsync(VirshRunner virsh, string domain, CancellationToken cancellationToken) =>
        virsh.RunOrFailAsync(VirshCommand.Create("snapshot-list", "--domain", domain, "--name", "--topological").WithReadOnly(),
            $"Could not list the snapshots of domain {domain}", cancellationToken);

    /// <summary>
    /// Reads and drops the snapshot metadata of <paramref name="domain"/> (listed by <paramref name="listing"/> when the
    /// caller started <see cref="ListAsync"/> already); on failure puts back what it dropped.
    /// </summary>
    public static async Task<SnapshotCarry> TakeAsync(ILogger logger, VirshRunner virsh, string domain, string host,
        CancellationToken cancellationToken, Task<ProgramResult>? listing = null)
    {
        var list = await (listing ?? ListAsync(virsh, domain, cancellationToken)).ConfigureAwait(false);
        var names = list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            return new SnapshotCarry(domain, null);
        }
        var current = await virsh.TryRunAsync(VirshCommand.Create("snapshot-current", "--domain", domain, "--name").WithReadOnly(),
            cancellationToken).ConfigureAwait(false);
        var carry = new SnapshotCarry(domain, current.Succeeded && current.StandardOutput.Trim() is { Length: > 0 } c ? c : null);
        var xmls = new List<(string, string)>();
        foreach (var name in names)
        {
            var dump = await virsh.RunOrFailAsync(
                VirshCommand.Create("snapshot-dumpxml", "--domain", domain, "--snapshotname", name, "--security-info"),
                $"Could not read snapshot {name} of domain {domain}", cancellationToken).ConfigureAwait(false);
            xmls.Add((name, dump.StandardOutput));
        }
        try
        {
            // children first: dropping a parent's metadata alone re-parents its children
            foreach (var (name, xml) in Enumerable.Reverse(xmls))
            {
                await virsh.RunOrFailAsync(
                    VirshCommand.Create("snapshot-delete", "--domain", domain, "--snapshotname", name, "--metadata"),
                    $"Could not drop the metadata of snapshot {name} of domain {domain} before migrating it", cancellationToken)
                    .ConfigureAwait(false);
                carry._dropped.Insert(0, (name, xml));
            }
        }
        catch (Exception e) when (e is OneKvmException or OperationCanceledException)
        {
            await carry.PutBackAsync(logger, virsh, host).ConfigureAwait(false);
            throw;
        }
        logger.SnapshotsSetAside(carry.Count, domain);
        return carry;
    }

    /// <summary>
    /// The domain's files moved to another directory: each snapshot's XML (whose domain names the disks) is rewritten by
    /// <paramref name="relocate"/> before it is redefined, else a revert would bring back the old files.
    /// </summary>
    public void Relocate(Func<string, string, string> relocate)
    {
        for (var i = 0; i < _dropped.Count; i++)
        {
            var (name, xml) = _dropped[i];
            _dropped[i] = (name, relocate(xml, $"snapshot {name} of domain {Domain}"));
        }
    }

    /// <summary>Redefines the dropped snapshots through <paramref name="virsh"/>; a failure is a warning, as upstream.</summary>
    public async Task PutBackAsync(ILogger logger, VirshRunner virsh, string host)
    {
        foreach (var (name, xml) in _dropped)
        {
            var redefine = VirshCommand.Create("snapshot-create", "--domain", Domain, "--xmlfile", "/dev/stdin", "--redefine")
                .WithStandardInput(xml);
            if (name == Current)
            {
                redefine = redefine.WithArguments("--current");
            }
            try
            {
                // whatever interrupted the migration: the metadata must not be lost
                await virsh.RunAsync(redefine, CancellationToken.None).ConfigureAwait(false);
                logger.SnapshotCarried(name, Domain, host);
            }
            catch (VirshException e)
            {
                logger.SnapshotNotCarried(name, Domain, host, e is VirshTimeoutException ? e.Message : e.Reason());
            }
        }
    }
}
