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

    public static IEnumerable<ActionEntry> Entries => ActionTable.All.Where(e => e.Kind != EntryKind.Tool);

    /// <summary>
    /// Upstream files the packages move aside without putting an entry of the same name in their
    /// place: upstream's VM probes, whose data vm_monitor and vm_state report, and its execution
    /// probe, whose results vm_execution reports.
    /// </summary>
    public static readonly IReadOnlyList<string> RetiredUpstreamFiles =
        ["im/kvm-probes.d/vm/monitor/poll.rb", "im/kvm-probes.d/vm/status/state.rb", "im/kvm-probes.d/vm/execution/exec.rb"];

    /// <summary>
    /// What the packages are built from (packaging/build-packages.sh): one line per file of the
    /// remotes tree, "binary PATH", "entry PATH" (upstream's file of that path is moved aside)
    /// or "retired PATH" (moved aside, nothing in its place).
    /// </summary>
    public static void WriteManifest(TextWriter output)
    {
        output.WriteLine($"binary {ActionTable.BinaryRemotesPath}");
        foreach (var entry in Entries)
        {
            output.WriteLine($"entry {entry.RemotesPath}");
        }
        foreach (var path in RetiredUpstreamFiles)
        {
            output.WriteLine($"retired {path}");
        }
    }

    /// <summary>Where the symlink of <paramref name="entry"/> points: the entry program in the binary's directory.</summary>
    public static string EntryTarget(ActionEntry entry)
    {
        var relative = Path.GetRelativePath("/r/" + entry.RemotesDirectory, "/r/" + ActionTable.Tool.RemotesDirectory);
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
