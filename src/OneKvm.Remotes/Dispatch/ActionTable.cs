using OneKvm.Remotes.Checkpoints;
using OneKvm.Remotes.Guest;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Live;
using OneKvm.Remotes.Migration;
using OneKvm.Remotes.Monitoring;
using OneKvm.Remotes.RootHelpers;
using OneKvm.Remotes.Snapshots;

namespace OneKvm.Remotes.Dispatch;

/// <summary>
/// The single source of truth for what onekvm is: dispatch on argv[0], --list, --help, the
/// help of each action, onekvm(1), the stubs in remotes-layout/ and the package contents are
/// all generated from it. Each row is declared beside the code that runs it; this lists them in order.
/// </summary>
internal static class ActionTable
{
    public static readonly IReadOnlyList<ActionEntry> All =
    [
        DeployAction.Row, ShutdownAction.Row, CancelAction.Row, RestartAction.RebootRow, RestartAction.ResetRow,
        SaveAction.Row, SaveCephAction.Row, RestoreAction.Row, RestoreCephAction.Row, MigrateAction.Row, MigrateLocalAction.Row,
        AttachDiskAction.Row, DetachDiskAction.Row, AttachNicAction.Row, DetachNicAction.Row, PrereconfigureAction.Row, ReconfigureAction.Row,
        SnapshotCreateAction.Row, SnapshotRevertAction.Row, SnapshotDeleteAction.Row, ResizeAction.Row, ResizeDiskAction.Row, PollAction.Row,
        ExecAction.Row, ExecCancelAction.Row, VmMonitorProbe.Row, VmStateProbe.Row, ExecutionProbe.Row,
        VtpmSetupAction.Row, VgpuAction.Row, VirtiofsdAction.Row,
        new(ActionEntry.BinaryName, EntryKind.Tool, ActionEntry.BinaryRemotesPath,
            "The multicall binary: onekvm --list, onekvm kvmrc, onekvm <action> args...",
            [], ActionEntry.Nothing, "the table or the settings", null),
    ];

    /// <summary>What the binary does when called by its own name, in the order of onekvm --help.</summary>
    public static readonly IReadOnlyList<ToolCommand> Commands =
    [
        ToolCommand.Of("--list", null, call => WriteList(call.Host.Stdout)) with
        {
            Help = ("onekvm --list", "the action table: name, status, entry in the remotes tree"),
            Manual = [("--list", "The action table: name, status, entry in the remotes tree, summary.")],
        },
        ToolCommand.Of("--version", null, call => Write(call.Host.Stdout, $"{ActionEntry.BinaryName} {ToolCommand.Version}")) with
        {
            Help = ("onekvm --version", "the version"),
            Manual = [("--version", "The version of onekvm.")],
        },
        new ToolCommand(["--help", "-h", "-?"], _ => true, call => Task.FromResult(Write(call.Host.Stderr, HelpText(call.Commands)))),
        ToolCommand.Of("kvmrc", null, ReportKvmrc) with
        {
            Help = ("onekvm kvmrc", "the effective kvmrc settings and where each comes from"),
            Manual = [("kvmrc", "The effective value of every kvmrc parameter and where it comes from (kvmrc line, environment or default); "
                + "skipped lines as WARN lines on stderr. Exit 1 if a value is invalid.")],
        },
        Doctor.DoctorCommand.Row, RemotesLayout.Row, RemotesLayout.ManifestRow, Manual.ManPages.Row, GuestClockSync.Row,
    ];

    private static readonly Dictionary<string, ActionEntry> ByName = All.ToDictionary(e => e.Name, StringComparer.Ordinal);

    public static ActionEntry? Find(string name) => ByName.GetValueOrDefault(name);

    public static ActionEntry Tool => ByName[ActionEntry.BinaryName];

    private static int Write(TextWriter output, string text)
    {
        output.WriteLine(text);
        return Errors.ExitCodes.Success;
    }

    private static int ReportKvmrc(ToolCall call)
    {
        var location = call.Location();
        return KvmrcReport.Write(location.KvmrcPath, location.How, call.Host.Environment, call.Host.Stdout, call.Host.Stderr);
    }

    private static int WriteList(TextWriter output)
    {
        foreach (var entry in All)
        {
            var status = entry.IsImplemented ? "ready" : "not-implemented";
            output.WriteLine($"{entry.Name,-16} {status,-15} {entry.RemotesPath,-40} {entry.Summary}");
        }
        return Errors.ExitCodes.Success;
    }

    private static string HelpText(IEnumerable<ToolCommand> commands) =>
        $"""
        {ActionEntry.BinaryName} {ToolCommand.Version}: OpenNebula's KVM driver actions in one binary.

        It runs the action named by the file it is started as (vmm/kvm/deploy, ...),
        or the one named first: onekvm <action> args...

        """
        + string.Concat(commands.Select(c => c.Help).Append(("<action> --help", "the arguments, stdin and answer of one action"))
            .OfType<(string Usage, string Text)>()
            .Select(h => $"\n  {(h.Usage.Length < 21 ? h.Usage.PadRight(21) : h.Usage + "   ")}{h.Text}"));
}
