namespace OneKvm.Remotes.Doctor;

/// <summary>
/// The remotes tree: the binary, every entry of the action table present as the entry
/// program and starting this tree's binary, and nothing of upstream's left where the
/// monitor daemon or one_vmm_exec would run it instead of (or beside) onekvm.
/// </summary>
internal static class TreeChecks
{
    private const string Area = "tree";
    private const string Reinstall = "reinstall onekvm-remotes on the front-end, then onehost sync --force";

    /// <summary>How many directories up an entry looks for vmm/kvm/onekvm (MAX_LEVELS of onekvm-entry.c).</summary>
    private const int EntryLevels = 6;

    public static async Task<IReadOnlyList<Finding>> RunAsync(string root, IReadOnlyList<ActionEntry> actions, CancellationToken cancellationToken)
    {
        var binary = Path.Combine(root, ActionEntry.BinaryRemotesPath);
        if (!IsExecutable(binary))
        {
            return [Finding.Fail(Area, $"no onekvm binary at {binary}", Reinstall)];
        }
        List<Finding> findings = [Finding.Ok(Area, $"binary {binary}, onekvm {ToolCommand.Version}")];
        var entries = actions.Where(e => e.Kind != EntryKind.Tool).ToList();
        foreach (var entry in entries)
        {
            if (await EntryProblemAsync(root, binary, entry, cancellationToken).ConfigureAwait(false) is { } problem)
            {
                findings.Add(Finding.Fail(Area, problem, Reinstall));
            }
        }
        // only the binary's finding: no entry failed
        if (findings.Count == 1)
        {
            findings.Add(Finding.Ok(Area, $"all {entries.Count} entries are onekvm's entry program and start {binary}"));
        }
        findings.AddRange(Shadows(root, actions));
        return findings;
    }

    private static async Task<string?> EntryProblemAsync(string root, string binary, ActionEntry entry, CancellationToken cancellationToken)
    {
        var path = Path.Combine(root, entry.RemotesPath);
        if (!File.Exists(path))
        {
            return $"entry {entry.RemotesPath} is missing";
        }
        var head = new byte[4];
        await using (var file = File.OpenRead(path))
        {
            _ = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }
        if (head[0] == '#' && head[1] == '!')
        {
            return $"{entry.RemotesPath} is a script, not onekvm's entry (upstream's, or a stub someone put there)";
        }
        if (!(head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F'))
        {
            return $"{entry.RemotesPath} is neither onekvm's entry program nor a script";
        }
        if (!IsExecutable(path))
        {
            return $"{entry.RemotesPath} is not executable";
        }
        if (ExecTarget(path) is var target && target != binary)
        {
            return $"{entry.RemotesPath} starts {target ?? "nothing (no onekvm beside or above it)"} instead of {binary}";
        }
        // the entry runs: it starts the binary, which knows this action (its help, exit 0)
        var help = await ProgramRunner.Default.RunAsync(ProgramCommand.Tool(path, "--help").WithLabel(entry.RemotesPath).WithDeadline(TimeSpan.FromSeconds(10)), cancellationToken)
            .ConfigureAwait(false);
        return help.ExitCode == 0 && help.StandardError.Contains(entry.Name, StringComparison.Ordinal)
            ? null
            : $"{entry.RemotesPath} --help did not answer as onekvm's '{entry.Name}': {help.Reason()}";
    }

    /// <summary>
    /// The binary onekvm-entry execs from this path: onekvm beside it, else vmm/kvm/onekvm of its own
    /// directory or of the nearest one above (an entry at the top of the tree, or a probe).
    /// </summary>
    public static string? ExecTarget(string entryPath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(entryPath))!;
        var beside = Path.Combine(directory, ActionEntry.BinaryName);
        if (IsExecutable(beside))
        {
            return beside;
        }
        var up = directory;
        for (var level = 0; level <= EntryLevels; level++)
        {
            up = level == 0 ? up : Path.Combine(up, "..");
            var candidate = Path.GetFullPath(Path.Combine(up, ActionEntry.BinaryRemotesPath));
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Files the monitor daemon would run beside a probe entry, and upstream's retired probes.</summary>
    private static IEnumerable<Finding> Shadows(string root, IReadOnlyList<ActionEntry> actions)
    {
        var shadows = 0;
        foreach (var retired in ActionEntry.RetiredUpstreamFiles)
        {
            if (File.Exists(Path.Combine(root, retired)))
            {
                shadows++;
                yield return Finding.Fail(Area, $"upstream's {retired} is still in the tree: the monitor daemon runs it too and gets every VM twice",
                    $"remove it from the front-end's remotes tree (the package moves it aside), then onehost sync --force");
            }
        }
        var probeEntries = actions.Where(e => e.Kind == EntryKind.Probe).Select(e => e.RemotesPath).ToHashSet(StringComparer.Ordinal);
        foreach (var directory in probeEntries.Select(p => Path.GetDirectoryName(p)!).Distinct())
        {
            var full = Path.Combine(root, directory);
            if (!Directory.Exists(full))
            {
                continue;
            }
            foreach (var other in Directory.GetFiles(full).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal))
            {
                if (!probeEntries.Contains(other) && !ActionEntry.RetiredUpstreamFiles.Contains(other) && IsExecutable(Path.Combine(root, other)))
                {
                    shadows++;
                    yield return Finding.Warn(Area, $"{other} sits beside onekvm's probe: the monitor daemon runs every program of {directory}",
                        "remove it unless it reports something onekvm's probes do not");
                }
            }
        }
        if (shadows == 0)
        {
            yield return Finding.Ok(Area, "no upstream script beside or in place of onekvm's entries");
        }
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
