namespace OneKvm.Remotes.Dispatch;

/// <summary>
/// The files every entry of the action table puts in the remotes tree. Each entry is the
/// 1 KB native program onekvm-entry (src/OneKvm.Entry), which execs the one binary of its
/// tree with argv[0] kept. A symlink to the binary would not do: `onehost sync` runs
/// rsync -L, which would put one full copy of the binary on each host per action; a bash
/// stub would, but starting bash costs about 1.5 ms of every action.
/// In remotes-layout/ an entry is a relative symlink to vmm/kvm/onekvm-entry, so that the
/// tree's shape lives in git; build.sh stages each as a copy of that program, which is
/// what rsync -L makes of it on the hosts anyway.
/// </summary>
internal static class RemotesLayout
{
    public const string EntryProgram = "onekvm-entry";

    public static readonly ToolCommand Row = new(["layout"], args => args.Count == 2 && args[1] != "--manifest", call => Run(() => Write(call.Args[1])))
    {
        Help = ("onekvm layout DIR", "write the entries of the remotes tree under DIR (symlinks to vmm/kvm/onekvm-entry)"),
        Manual = [("layout DIR | layout --manifest", "For packaging: the entries of the remotes tree as symlinks under DIR, or the list of files the packages ship and move aside.")],
    };

    public static readonly ToolCommand ManifestRow = new(["layout"], args => args is [_, "--manifest"], call => Run(() => WriteManifest(call.Host.Stdout)))
    {
        Help = ("onekvm layout --manifest", "the files of the remotes tree the packages ship or move aside"),
    };

    private static Task<int> Run(Action write)
    {
        write();
        return Task.FromResult(Errors.ExitCodes.Success);
    }

    public static IEnumerable<ActionEntry> Entries => ActionTable.All.Where(e => e.Kind != EntryKind.Tool);

    /// <summary>
    /// What the packages are built from (packaging/build-packages.sh): one line per file of the
    /// remotes tree, "binary PATH", "entry PATH" (upstream's file of that path is moved aside)
    /// or "retired PATH" (moved aside, nothing in its place).
    /// </summary>
    public static void WriteManifest(TextWriter output)
    {
        var entries = Entries.Select(e => $"entry {e.RemotesPath}").Prepend($"binary {ActionEntry.BinaryRemotesPath}");
        foreach (var line in entries.Concat(ActionEntry.RetiredUpstreamFiles.Select(p => $"retired {p}")))
        {
            output.WriteLine(line);
        }
    }

    /// <summary>Where the symlink of <paramref name="entry"/> points: the entry program in the binary's directory.</summary>
    public static string EntryTarget(ActionEntry entry)
    {
        var relative = Path.GetRelativePath("/r/" + entry.RemotesDirectory, "/r/" + ActionEntry.BinaryDirectory);
        return relative == "." ? EntryProgram : $"{relative}/{EntryProgram}";
    }

    /// <summary>Writes every entry's symlink under <paramref name="root"/>, as remotes-layout/ holds them.</summary>
    public static void Write(string root)
    {
        foreach (var entry in Entries)
        {
            var path = Path.Combine(root, entry.RemotesPath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.CreateSymbolicLink(path, EntryTarget(entry));
        }
    }
}
