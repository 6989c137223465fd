namespace OneKvm.Remotes.Kvmrc;

/// <summary>One variable assignment read from kvmrc.</summary>
internal sealed record KvmrcAssignment(string Name, string Value, bool Exported, int Line);

/// <summary>A line the parser could not interpret; it was skipped as a whole.</summary>
internal sealed record KvmrcWarning(string File, int Line, string Reason)
{
    public override string ToString() => $"{File}:{Line}: {Reason}; line ignored";
}

/// <summary>What a kvmrc file says; later assignments win.</summary>
internal sealed class KvmrcDocument(string path, bool exists, IReadOnlyList<KvmrcAssignment> assignments,
    IReadOnlyList<KvmrcWarning> warnings)
{
    public string Path { get; } = path;

    public bool Exists { get; } = exists;

    public IReadOnlyList<KvmrcWarning> Warnings { get; } = warnings;

    /// <summary>The final assignment of each name.</summary>
    public IReadOnlyDictionary<string, KvmrcAssignment> Effective { get; } = LastOfEach(assignments);

    private static Dictionary<string, KvmrcAssignment> LastOfEach(IReadOnlyList<KvmrcAssignment> assignments)
    {
        var last = new Dictionary<string, KvmrcAssignment>(StringComparer.Ordinal);
        foreach (var a in assignments)
        {
            // a re-assignment keeps the export flag of the earlier one, as in a shell
            var exported = a.Exported || (last.TryGetValue(a.Name, out var before) && before.Exported);
            last[a.Name] = a with { Exported = exported };
        }
        return last;
    }
}
