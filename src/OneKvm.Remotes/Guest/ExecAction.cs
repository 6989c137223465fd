namespace OneKvm.Remotes.Guest;

/// <summary>
/// exec VM_ID HOST COMMAND [STDIN]: runs VM/TEMPLATE/QEMU_GA_EXEC/COMMAND in the guest
/// with guest-exec. The command is split into words like a POSIX shell would, without
/// expanding anything, and the first word is the program: no shell runs unless the user
/// wrote one. STDIN (base64, as `onevm exec` sends it) becomes the program's input; the
/// agent's pid goes to /var/run/one/one-VM_ID, where the execution probe collects the
/// result. One execution per VM at a time.
/// </summary>
internal sealed class ExecAction : IDriverAction
{
    private static readonly ActionParameter VmIdOfDomain = new("vm_id", "OpenNebula VM ID (domain one-<vm_id>)");
    private static readonly ActionParameter Command = new("command", "the command line, split into words like a POSIX shell, nothing expanded");
    private static readonly ActionParameter Stdin = new ActionParameter("stdin", "the command's input, base64 (else QEMU_GA_EXEC/STDIN of the action data)").Optional();
    public static readonly ActionEntry Row = ActionEntry.Vmm("exec", "Run VM/TEMPLATE/QEMU_GA_EXEC/COMMAND in the guest through its QEMU guest agent (no shell).",
        [VmIdOfDomain, ThisHost, Command, Stdin], ActionEntry.ActionData, ActionEntry.Nothing, () => new ExecAction());

    /// <summary>
    /// The most input passed on. The command goes to virsh as one argument, and Linux takes at
    /// most 128 KiB per argument (64 KiB is 87 KiB of base64); qemu-ga 7.2 itself answered
    /// 128 KiB in 0.8 s here but stopped answering for minutes at 256 KiB.
    /// </summary>
    public const int MaxInputBytes = 64 * 1024;

    public static readonly TimeSpan AgentTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var vmId = VmIdOf(arguments[VmIdOfDomain]);
        var domain = DomainOf(vmId);
        var line = arguments[Command];
        IReadOnlyList<string> words;
        try
        {
            words = ShellWords.Split(line);
        }
        catch (FormatException e)
        {
            throw new UsageException($"Cannot run the command of VM {vmId}: {e.Message} in {Quoted(line)}.");
        }
        if (words.Count == 0)
        {
            throw new UsageException($"Cannot run the command of VM {vmId}: QEMU_GA_EXEC/COMMAND is empty.");
        }
        var input = await InputAsync(context, arguments, vmId, cancellationToken).ConfigureAwait(false);

        var files = ExecutionFiles.For(context.Environment, context.SleepAsync);
        var agent = new GuestAgent(context.Virsh);
        using (await files.LockAsync(LockWait, cancellationToken).ConfigureAwait(false))
        {
            if (files.ReadPid(vmId, out var unreadable) is { } previous)
            {
                var status = await agent.CallAsync(domain, StatusCommand(previous), AgentTimeout, cancellationToken).ConfigureAwait(false);
                if (status.Exited == false)
                {
                    throw new OneKvmException(
                        $"VM {vmId} is still running its previous command (guest pid {previous}); cancel it with exec-cancel first.");
                }
                context.Logger.ExecutionReplaced(files.PidFile(vmId), previous);
            }
            else if (unreadable is not null)
            {
                context.Logger.PidFileUnreadable(unreadable);
            }

            var command = GuestAgent.Exec(words[0], words.Skip(1), w =>
            {
                w.WriteBoolean("capture-output", true);
                if (input is not null)
                {
                    w.WriteString("input-data", input);
                }
            });
            var reply = await agent.CallAsync(domain, command, AgentTimeout, cancellationToken).ConfigureAwait(false);
            if (reply.Problem is { } problem)
            {
                throw new OneKvmException($"Could not run {Quoted(words[0])} in VM {vmId} (domain {domain}) through the guest agent: {problem}".AsSentence());
            }
            if (reply.Return is not { ValueKind: JsonValueKind.Object } started ||
                !started.TryGetProperty("pid", out var pidValue) || !pidValue.TryGetInt64(out var pid))
            {
                throw new OneKvmException($"The guest agent of VM {vmId} started {Quoted(words[0])} but gave no pid: {reply.Return}".AsSentence());
            }
            files.WritePid(vmId, pid);
            context.Logger.ExecutionStarted(words[0], words.Count - 1, vmId, pid);
        }
    }

    public static string StatusCommand(long pid) => GuestAgent.Command("guest-exec-status", w => w.WriteNumber("pid", pid));

    public static int VmIdOf(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new UsageException($"The VM id {Quoted(text)} is not a number.");

    public static string DomainOf(int vmId) => "one-" + vmId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The base64 input: the STDIN argument, else QEMU_GA_EXEC/STDIN of the action data (no argument-size limit there).</summary>
    private static async Task<string?> InputAsync(DriverContext context, ActionArguments arguments, int vmId, CancellationToken cancellationToken)
    {
        var input = arguments.Optional(Stdin) is { Length: > 0 } given
            ? given
            : await FromActionDataAsync(context, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(input))
        {
            return null;
        }
        input = input.Trim();
        var bytes = new byte[(input.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64String(input, bytes, out var length))
        {
            throw new UsageException($"The standard input of VM {vmId}'s command is not base64 (QEMU_GA_EXEC/STDIN holds what onevm exec encodes).");
        }
        if (length > MaxInputBytes)
        {
            throw new OneKvmException(
                $"The standard input of VM {vmId}'s command is {length} bytes; the guest agent is given at most {MaxInputBytes} (qemu-ga stops answering for minutes with more). Pass a file instead.");
        }
        return input;
    }

    private static async Task<string?> FromActionDataAsync(DriverContext context, CancellationToken cancellationToken)
    {
        var xml = await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(xml))
        {
            return null;
        }
        try
        {
            // upstream reads nothing from stdin: action data it cannot use is no error
            return ActionData.Text(ActionData.Parse(xml).Template?.Element("QEMU_GA_EXEC"), "STDIN");
        }
        catch (OneKvmException e)
        {
            context.Logger.NoInputInActionData(e.Message);
            return null;
        }
    }

    public static string Quoted(string text)
    {
        var line = text.ReplaceLineEndings("\\n");
        return "\"" + (line.Length <= 120 ? line : line[..120] + "...") + "\"";
    }
}
