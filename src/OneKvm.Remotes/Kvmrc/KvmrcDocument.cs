namespace OneKvm.Remotes.Kvmrc;

/// <summary>One variable assignment read from kvmrc.</summary>
internal sealed record KvmrcAssignment(string Name, string Value, bool Exported, int Line);

/// <summary>A line the parser could not interpret; it was skipped as a whole.</summary>
internal sealed record KvmrcWarning(string File, int Line, string Reason)
{
    public override string ToString() => $"{File}:{Line}: {Reason}; line ignored";
}

/// <summary>What a kvmrc file says, in file order; later assignments win.</summary>
internal sealed class KvmrcDocument
{
    public static readonly KvmrcDocument Empty = new("(none)", exists: false, [], []);

    public KvmrcDocument(string path, bool exists, IReadOnlyList<KvmrcAssignment> assignments,
        IReadOnlyList<KvmrcWarning> warnings)
    {
        Path = path;
        Exists = exists;
        Assignments = assignments;
        Warnings = warnings;
        var last = new Dictionary<string, KvmrcAssignment>(StringComparer.Ordinal);
        foreach (var a in assignments)
        {
            // a re-assignment keeps the export flag of the earlier one, as in a shell
            var exported = a.Exported || (last.TryGetValue(a.Name, out var before) && before.Exported);
            last[a.Name] = a with { Exported = exported };
        }
        Effective = last;
    }

    public string Path { get; }

    public bool Exists { get; }

    public IReadOnlyList<KvmrcAssignment> Assignments { get; }

    public IReadOnlyList<KvmrcWarning> Warnings { get; }

    /// <summary>The final assignment of each name.</summary>
    public IReadOnlyDictionary<string, KvmrcAssignment> Effective { get; }
}
