namespace OneKvm.Remotes.Checkpoints;

/// <summary>
/// Where save.ceph keeps a checkpoint: the RBD image &lt;pool&gt;/one-sys-&lt;vm_id&gt;-checkpoint.
/// The pool, image format and credentials come from the system datastore's template,
/// else from the ceph datastore driver's ceph.conf, as upstream.
/// </summary>
internal sealed record CephCheckpoint(string Image, string? User, string? Conf, bool FormatTwo)
{
    public const string ConfRelativePath = "etc/datastore/ceph/ceph.conf";
    public const string Program = "rbd";

    /// <summary>The checkpoint image of the VM a save.ceph/restore.ceph call is about (vm_id argument, else the action data).</summary>
    public static CephCheckpoint ForCall(IProgramHost host, string stdin, ActionArguments arguments)
    {
        var data = string.IsNullOrWhiteSpace(stdin) ? null : ActionData.Parse(stdin);
        var vmId = arguments.Optional(ActionParameter.VmId) ?? data?.VmId
            ?? throw new UsageException("The argument <vm_id> is missing and the action data has no VM/ID.");
        return For(host, data, vmId);
    }

    public static CephCheckpoint For(IProgramHost host, ActionData? data, string vmId)
    {
        var conf = KvmrcParser.Load(Path.Combine(host.RemotesRoot, ConfRelativePath), host.Environment);
        var template = data?.Datastore?.Element("TEMPLATE");
        var pool = ActionData.Text(template, "POOL_NAME") ?? Setting(conf, "POOL_NAME")
            ?? throw new OneKvmException($"No POOL_NAME in the system datastore's template nor in {conf.Path}.");
        var format = ActionData.Text(template, "RBD_FORMAT") ?? Setting(conf, "RBD_FORMAT");
        return new CephCheckpoint($"{pool}/one-sys-{vmId}-checkpoint", ActionData.Text(template, "CEPH_USER"),
            ActionData.Text(template, "CEPH_CONF"), format == "2");
    }

    /// <summary>The rbd argv: the credentials first, then the command.</summary>
    public IReadOnlyList<string> Arguments(params string[] command) =>
        [.. User is null ? Array.Empty<string>() : ["--id", User],
            .. Conf is null ? Array.Empty<string>() : ["--conf", Conf], .. command];

    public IReadOnlyList<string> Import(string file) =>
        FormatTwo ? Arguments("import", "--image-format", "2", file, Image) : Arguments("import", file, Image);

    public IReadOnlyList<string> Export(string file) => Arguments("export", Image, file);

    public IReadOnlyList<string> Remove() => Arguments("rm", Image);

    /// <summary>Runs rbd (no deadline: it moves a whole checkpoint); answers null on success, else its reason.</summary>
    public static async Task<string?> RunAsync(ProgramRunner programs, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        try
        {
            var result = await programs.RunAsync(ProgramCommand.Tool(Program, arguments).WithoutDeadline(), cancellationToken).ConfigureAwait(false);
            return result.Succeeded ? null : result.Reason();
        }
        catch (OneKvmException e)
        {
            // without a deadline, only a program that cannot start ends here
            return e.Message;
        }
    }

    private static string? Setting(KvmrcDocument conf, string name) =>
        conf.Effective.TryGetValue(name, out var a) && a.Value.Length > 0 ? a.Value : null;
}
