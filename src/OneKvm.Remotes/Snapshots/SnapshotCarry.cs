namespace OneKvm.Remotes.Snapshots;

/// <summary>
/// libvirt refuses to migrate a domain that has snapshots, although internal snapshots
/// live in the qcow2 images and travel with them. So their metadata is read (with the
/// display passwords), dropped, and redefined where the domain ends up: on the
/// destination after a migration, back on the source after a failed one (upstream lost
/// it there), parents before children, the current one marked current again.
/// </summary>
internal sealed class SnapshotCarry(string domain, string? current, SnapshotJournal? journal = null)
{
    private readonly List<(string Name, string Xml)> _dropped = [];

    /// <summary>The names of the domain's snapshots, parents first: a read that may start before <see cref="TakeAsync"/>, beside others.</summary>
    public static Task<ProgramResult> ListAsync(VirshRunner virsh, string domain, CancellationToken cancellationToken) =>
        virsh.RunOrFailAsync(VirshCommand.Create("snapshot-list", "--domain", domain, "--name", "--topological").WithReadOnly(),
            $"Could not list the snapshots of domain {domain}", cancellationToken);

    /// <summary>
    /// Reads and drops the snapshot metadata of <paramref name="domain"/> (listed by <paramref name="listing"/> when the
    /// caller started <see cref="ListAsync"/> already); on failure puts back what it dropped.
    /// </summary>
    public static async Task<SnapshotCarry> TakeAsync(ILogger logger, VirshRunner virsh, string domain, string host,
        SnapshotJournal? journal, CancellationToken cancellationToken, Task<ProgramResult>? listing = null)
    {
        var list = await (listing ?? ListAsync(virsh, domain, cancellationToken)).ConfigureAwait(false);
        var names = list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            return new SnapshotCarry(domain, null);
        }
        var current = await virsh.TryRunAsync(VirshCommand.Create("snapshot-current", "--domain", domain, "--name").WithReadOnly(),
            cancellationToken).ConfigureAwait(false);
        var currentName = current.Succeeded && current.StandardOutput.Trim() is { Length: > 0 } c ? c : null;
        var carry = new SnapshotCarry(domain, currentName, journal);
        var xmls = new List<(string, string)>();
        foreach (var name in names)
        {
            var dump = await virsh.RunOrFailAsync(
                VirshCommand.Create("snapshot-dumpxml", "--domain", domain, "--snapshotname", name, "--security-info"),
                $"Could not read snapshot {name} of domain {domain}", cancellationToken).ConfigureAwait(false);
            xmls.Add((name, dump.StandardOutput));
        }
        if (journal is not null)
        {
            // a SIGKILL between the drop and the redefinition runs no cleanup: what is dropped must be on disk first
            await journal.WriteAsync(domain, currentName, xmls, cancellationToken).ConfigureAwait(false);
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
        logger.SnapshotsSetAside(carry._dropped.Count, domain);
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
            _dropped[i] = (name, relocate(xml, $"snapshot {name} of domain {domain}"));
        }
    }

    /// <summary>Redefines the dropped snapshots through <paramref name="virsh"/>, then removes the journal; a failure is a warning, as upstream.</summary>
    public async Task PutBackAsync(ILogger logger, VirshRunner virsh, string host)
    {
        var all = true;
        foreach (var (name, xml) in _dropped)
        {
            var redefine = VirshCommand.Create("snapshot-create", "--domain", domain, "--xmlfile", "/dev/stdin", "--redefine")
                .WithStandardInput(xml);
            if (name == current)
            {
                redefine = redefine.WithArguments("--current");
            }
            try
            {
                // whatever interrupted the migration: the metadata must not be lost
                await virsh.RunAsync(redefine, CancellationToken.None).ConfigureAwait(false);
                logger.SnapshotCarried(name, domain, host);
            }
            catch (VirshException e)
            {
                logger.SnapshotNotCarried(name, domain, host, VirshException.ReasonOf(e));
                all = false;
            }
        }
        if (!all || journal is null)
        {
            return;
        }
        try
        {
            await journal.RemoveAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OneKvmException)
        {
            logger.SnapshotJournalNotRemoved(journal.Path, e.Message.TrimEnd('.'));
        }
    }

    /// <summary>
    /// A journal left by a move cut off between the drop and the redefinition: what of it libvirt lacks where the domain runs
    /// (<paramref name="virsh"/>) is redefined (rewritten by <paramref name="relocate"/> when it runs from other files), then it goes.
    /// </summary>
    public static async Task RecoverAsync(ILogger logger, VirshRunner virsh, string domain, string host, SnapshotJournal journal,
        CancellationToken cancellationToken, Func<string, string, string>? relocate = null)
    {
        if (await journal.ReadAsync(cancellationToken).ConfigureAwait(false) is not { } text)
        {
            return;
        }
        var root = SafeXml.Parse(text, $"the snapshot journal {journal.Path}").Root!;
        var present = (await ListAsync(virsh, domain, cancellationToken).ConfigureAwait(false)).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var carry = new SnapshotCarry(domain, (string?)root.Attribute("current"), journal);
        foreach (var snapshot in root.Elements())
        {
            if ((string?)snapshot.Element("name") is { } name && !present.Contains(name))
            {
                carry._dropped.Add((name, snapshot.ToString(SaveOptions.DisableFormatting)));
            }
        }
        logger.SnapshotJournalFound(journal.Path, domain, carry._dropped.Count, host);
        if (relocate is not null)
        {
            carry.Relocate(relocate);
        }
        await carry.PutBackAsync(logger, virsh, host).ConfigureAwait(false);
    }

    /// <summary>For the snapshot actions, run where the domain runs: a journal in its VM directory is recovered first.</summary>
    public static Task RecoverHereAsync(IVirshHost host, string domain, string directory, CancellationToken cancellationToken) =>
        RecoverAsync(host.Logger, host.Virsh, domain, "this host",
            new SnapshotJournal(HostShell.Local(host, "this host"), directory), cancellationToken);
}

/// <summary>
/// The XML of the snapshots whose metadata a move drops, in the VM directory (reached through <paramref name="Shell"/>):
/// written before the drop, removed once they are back where the VM runs.
/// </summary>
internal sealed record SnapshotJournal(HostShell Shell, string Directory)
{
    private const string FileName = "onekvm-snapshot-journal.xml";

    public string Path => Directory + "/" + FileName;

    /// <exception cref="OneKvmException">It could not be written: nothing may be dropped then.</exception>
    public async Task WriteAsync(string domain, string? current, IEnumerable<(string Name, string Xml)> snapshots,
        CancellationToken cancellationToken)
    {
        var text = new XElement("snapshots", current is null ? null : new XAttribute("current", current),
            snapshots.Select(s => SafeXml.Parse(s.Xml, $"snapshot {s.Name} of domain {domain}").Root)).ToString();
        try
        {
            if (Shell.RemoteHost is null)
            {
                AtomicFile.WriteAllText(Path, text, SnapshotMetadata.FileMode);
                return;
            }
            var written = await Shell.Host.Programs.RunAsync(Shell.Command(["install", "-m", "600", "/dev/stdin", Path + ".new"], Shell.Host.VirshTimeout)
                .WithStandardInput(text), cancellationToken).ConfigureAwait(false);
            _ = written.Succeeded ? 0 : throw new OneKvmException(written.Reason());
            await Shell.RunOrFailAsync(["mv", "-f", "--", Path + ".new", Path], "mv", Shell.Host.VirshTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OneKvmException)
        {
            throw new OneKvmException($"Could not write the snapshot journal {Path} on {Shell.Name}: {e.Message.TrimEnd('.')}; nothing was dropped.", e);
        }
    }

    public async Task<string?> ReadAsync(CancellationToken cancellationToken) => Shell.RemoteHost is null
        ? RegularFile.TryReadText(Path, "the snapshot journal", 64 << 20)
        : await Shell.RunOrFailAsync(["find", Directory, "-maxdepth", "1", "-type", "f", "-name", FileName, "-exec", "cat", "{}", "+"],
            "Reading the snapshot journal", Shell.Host.VirshTimeout, cancellationToken).ConfigureAwait(false) is { Length: > 0 } text ? text : null;

    public async Task RemoveAsync()
    {
        if (Shell.RemoteHost is null)
        {
            File.Delete(Path);
            return;
        }
        await Shell.RunOrFailAsync(["rm", "-f", "--", Path], "rm", Shell.Host.VirshTimeout, CancellationToken.None).ConfigureAwait(false);
    }
}
