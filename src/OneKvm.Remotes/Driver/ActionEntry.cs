namespace OneKvm.Remotes.Driver;

/// <summary>
/// One row of the action table: the name onekvm answers to (the file name of
/// argv[0]), where its entry sits in the remotes tree, its arguments, what it reads
/// and answers, and the class that runs it (null while not implemented). Each action
/// declares its own row beside its code (its <c>Row</c>); Dispatch/ActionTable.cs lists them.
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
    public const string BinaryName = "onekvm";
    public const string BinaryRemotesPath = VmmDir + BinaryName;
    public const string BinaryDirectory = "vmm/kvm";
    private const string VmmDir = BinaryDirectory + "/";
    public const string ActionData = "action data XML (<VMM_DRIVER_ACTION_DATA>)";
    public const string Nothing = "nothing";

    /// <summary>
    /// Upstream files the packages move aside without putting an entry of the same name in their
    /// place: upstream's VM probes, whose data vm_monitor and vm_state report, and its execution
    /// probe, whose results vm_execution reports.
    /// </summary>
    public static readonly IReadOnlyList<string> RetiredUpstreamFiles =
        ["im/kvm-probes.d/vm/monitor/poll.rb", "im/kvm-probes.d/vm/status/state.rb", "im/kvm-probes.d/vm/execution/exec.rb"];

    /// <summary>e.g. save &lt;deploy_id&gt; &lt;checkpoint_file&gt; [&lt;host&gt; [&lt;vm_id&gt; [&lt;vm_host&gt;]]].</summary>
    public string UsageLine =>
        Name + string.Concat(Parameters.Select(p => p.Required ? $" <{p.Name}>" : $" [<{p.Name}>")) + new string(']', Parameters.Count(p => !p.Required));

    public bool IsImplemented => Create is not null || Kind == EntryKind.Tool;

    /// <summary>The directory of the entry inside the remotes tree, e.g. "vmm/kvm"; "" at its top (vtpm_setup).</summary>
    public string RemotesDirectory => RemotesPath.Contains('/', StringComparison.Ordinal) ? RemotesPath[..RemotesPath.LastIndexOf('/')] : "";

    public static ActionEntry Vmm(string name, string summary, ActionParameter[] parameters, string stdin, string answer,
        Func<IDriverAction>? create) =>
        new(name, EntryKind.VmmAction, VmmDir + name, summary, parameters, stdin, answer, create);

    public static ActionEntry Hook(string name, string summary, ActionParameter[] parameters, Func<IDriverAction>? create) =>
        new(name, EntryKind.DatastoreHook, VmmDir + name, summary, parameters, ActionData, Nothing, create);

    /// <summary>Runs as root; a path without a directory sits at the top of the tree.</summary>
    public static ActionEntry RootHelper(string name, bool inVmmDir, string summary, ActionParameter[] parameters, Func<IDriverAction> create) =>
        new(name, EntryKind.RootHelper, (inVmmDir ? VmmDir : "") + name, summary, parameters, Nothing, Nothing, create);

    /// <summary>The monitor client puts its own arguments first: probes take the last two (Monitoring/ProbeArguments.cs).</summary>
    public static ActionEntry Probe(string name, string path, string summary, string answer, Func<IDriverAction>? create) =>
        new(name, EntryKind.Probe, path, summary, [ActionParameter.HostId, ActionParameter.HostName],
            "probe configuration from the monitor daemon", answer, create);
}
