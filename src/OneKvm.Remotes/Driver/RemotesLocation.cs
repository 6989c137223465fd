namespace OneKvm.Remotes.Driver;

/// <summary>
/// Where the remotes tree that started this process is, and so where its kvmrc is:
/// <c>&lt;remotes&gt;/etc/vmm/kvm/kvmrc</c>. Found from the path the entry was started
/// by (a stub, symlink or copy keeps it in argv[0]), never from the resolved binary
/// unless argv[0] carries no directory at all.
/// </summary>
internal sealed record RemotesLocation(string Root, string KvmrcPath, string How)
{
    /// <summary>
    /// The directory of the entry that was started (upstream's <c>$(dirname $0)</c>), where
    /// per-datastore hooks such as save.&lt;tm_mad&gt; sit beside it.
    /// </summary>
    public string EntryDirectory { get; init; } = "";

    public const string KvmrcRelativePath = "etc/vmm/kvm/kvmrc";

    /// <summary>Overrides the kvmrc path, for operators testing a new kvmrc and for tests.</summary>
    public const string KvmrcOverrideVariable = "ONEKVM_KVMRC";

    public static RemotesLocation Resolve(string invokedAs, ActionEntry invokedEntry, string? processPath,
        Func<string, string?> environment)
    {
        var (root, how) = FindRoot(invokedAs, invokedEntry, processPath);
        var overridePath = environment(KvmrcOverrideVariable);
        var location = string.IsNullOrEmpty(overridePath)
            ? new RemotesLocation(root, Path.Combine(root, KvmrcRelativePath), how)
            : new RemotesLocation(root, Path.GetFullPath(overridePath), $"{KvmrcOverrideVariable} in the environment");
        return location with { EntryDirectory = FindEntryDirectory(invokedAs, invokedEntry, processPath, root) };
    }

    private static string FindEntryDirectory(string invokedAs, ActionEntry entry, string? processPath, string root) =>
        invokedAs.Contains('/') ? Path.GetDirectoryName(Path.GetFullPath(invokedAs))!
        : processPath is not null ? Path.GetDirectoryName(processPath)! : Path.Combine(root, entry.RemotesDirectory);

    private static (string Root, string How) FindRoot(string invokedAs, ActionEntry entry, string? processPath)
    {
        if (invokedAs.Contains('/'))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(invokedAs))!;
            if (StripEntryDirectory(directory, entry.RemotesDirectory) is { } root)
            {
                return (root, $"from {invokedAs}, the '{entry.Name}' entry of a remotes tree");
            }
            // the binary by another path (the packages' /usr/bin/onekvm link): the tree of the binary it leads to
            if (entry.Kind == EntryKind.Tool && processPath is not null
                && StripEntryDirectory(Path.GetDirectoryName(processPath)!, entry.RemotesDirectory) is { } binaryRoot)
            {
                return (binaryRoot, $"from the binary at {processPath}, which {invokedAs} leads to");
            }
            // upstream's rule for any other place: $(dirname $0)/../../etc/vmm/kvm/kvmrc
            return (Path.GetFullPath(Path.Combine(directory, "..", "..")), $"two levels above {invokedAs}");
        }
        if (processPath is not null)
        {
            var directory = Path.GetDirectoryName(processPath)!;
            var root = StripEntryDirectory(directory, ActionEntry.BinaryDirectory)
                ?? Path.GetFullPath(Path.Combine(directory, "..", ".."));
            return (root, $"from the binary at {processPath}");
        }
        return (Path.GetFullPath(Path.Combine(".", "..", "..")), "from the working directory");
    }

    private static string? StripEntryDirectory(string directory, string entryDirectory)
    {
        if (entryDirectory.Length == 0)
        {
            return directory; // an entry at the top of the tree (vtpm_setup)
        }
        var suffix = "/" + entryDirectory;
        return directory.EndsWith(suffix, StringComparison.Ordinal) ? directory[..^suffix.Length] is { Length: > 0 } r ? r : "/" : null;
    }
}
