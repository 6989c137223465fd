
namespace OneKvm.Remotes.Dispatch;

/// <summary>
/// One row of the action table: the name onekvm answers to (the file name of
/// argv[0]), where its entry sits in the remotes tree, its arguments, what it reads
/// and answers, and the class that runs it (null while not implemented).
/// </summary>
internal sealed record ActionEntry(
    string Name,
    EntryKind Kind,
    string RemotesPath,
    string Summary,
    IReadOnlyList<ActionParameter> Parameters,
    string Stdin,
    string Answer,
    Func<IDriverAction>? Create)
{
    public bool IsImplemented => Create is not null || Kind == EntryKind.Tool;

    /// <summary>The directory of the entry inside the remotes tree, e.g. "vmm/kvm"; "" at its top (vtpm_setup).</summary>
    public string RemotesDirectory => RemotesPath.Contains('/', StringComparison.Ordinal) ? RemotesPath[..RemotesPath.LastIndexOf('/')] : "";

    /// <summary>The file of OpenNebula's source tree this entry takes the place of, when it is not a driver action of the same name.</summary>
    public string? Replaces { get; init; }
}
