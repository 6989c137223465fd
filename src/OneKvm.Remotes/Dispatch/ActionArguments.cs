using OneKvm.Remotes.Errors;

namespace OneKvm.Remotes.Dispatch;

/// <summary>The positional arguments of one call, by the names the action table gives them.</summary>
internal sealed class ActionArguments(IReadOnlyDictionary<string, string> values, IReadOnlyList<string> extra,
    IReadOnlyList<string>? given = null)
{
    /// <summary>The arguments exactly as received, for a hook that must get the same (upstream's <c>$@</c>).</summary>
    public IReadOnlyList<string> Given { get; } = given ?? [];

    /// <summary>Arguments beyond the table's, which upstream's scripts ignore too.</summary>
    public IReadOnlyList<string> Extra { get; } = extra;

    public string Required(string name) =>
        values.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new UsageException($"The argument <{name}> is missing or empty.");

    public string? Optional(string name) =>
        values.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
}
