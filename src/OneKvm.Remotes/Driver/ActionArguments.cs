namespace OneKvm.Remotes.Driver;

/// <summary>The positional arguments of one call, read by the parameters the action declares in its row.</summary>
internal sealed class ActionArguments(IReadOnlyDictionary<string, string> values, IReadOnlyList<string> extra,
    IReadOnlyList<string>? given = null)
{
    /// <summary>The arguments exactly as received, for a hook that must get the same (upstream's <c>$@</c>).</summary>
    public IReadOnlyList<string> Given { get; } = given ?? [];

    /// <summary>Arguments beyond the table's, which upstream's scripts ignore too.</summary>
    public IReadOnlyList<string> Extra { get; } = extra;

    /// <summary>The value, or a usage error naming the parameter when it is missing or empty.</summary>
    public string this[ActionParameter parameter] =>
        Optional(parameter) ?? throw new UsageException($"The argument <{parameter.Name}> is missing or empty.");

    /// <summary>The value, or null when it is missing or empty.</summary>
    public string? Optional(ActionParameter parameter) =>
        values.TryGetValue(parameter.Name, out var value) && value.Length > 0 ? value : null;
}
