namespace OneKvm.Remotes.Guest;

/// <summary>
/// The execution probe (im/kvm-probes.d/vm/execution): for every VM whose command has
/// ended, one VM = [ ID, PID, STATUS="DONE", RETURN_CODE, STDOUT, STDERR ] (output in
/// base64, as the agent gives it), which oned merges into QEMU_GA_EXEC; the pid file of
/// what was reported is removed. Commands still running are not reported. The agents
/// are asked concurrently, each call bounded, so a VM whose agent does not answer
/// delays the probe by one timeout at most and never hides the others.
/// </summary>
internal sealed class ExecutionProbe : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Probe("vm_execution", "im/kvm-probes.d/vm/execution/vm_execution",
        "Execution probe: the result of every guest command exec started that has ended.",
        "VM = [ ID=..., PID=..., STATUS=\"DONE\", RETURN_CODE=..., STDOUT=<base64>, STDERR=<base64> ] per VM", () => new ExecutionProbe());

    public static readonly TimeSpan AgentTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The lock is only held for short moments; a probe that cannot get it reports next time.</summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var files = ExecutionFiles.For(context.Environment, context.SleepAsync);
        if (files.VmIds().Count == 0)
        {
            return;
        }
        var agent = new GuestAgent(context.Virsh);
        IDisposable held;
        try
        {
            held = await files.LockAsync(LockWait, cancellationToken).ConfigureAwait(false);
        }
        catch (OneKvmException e)
        {
            context.Logger.ExecutionLockBusy(e.Message);
            return;
        }
        using (held)
        {
            var pending = new List<(int VmId, long Pid)>();
            foreach (var vmId in files.VmIds())
            {
                if (files.ReadPid(vmId, out var unreadable) is { } pid)
                {
                    pending.Add((vmId, pid));
                }
                else if (unreadable is not null)
                {
                    context.Logger.PidFileUnreadable(unreadable);
                }
            }
            var replies = await Task.WhenAll(pending.Select(p =>
                agent.CallAsync(ExecAction.DomainOf(p.VmId), ExecAction.StatusCommand(p.Pid), AgentTimeout, cancellationToken))).ConfigureAwait(false);

            var output = new StringBuilder();
            foreach (var ((vmId, pid), reply) in pending.Zip(replies))
            {
                if (reply.Problem is { } problem)
                {
                    if (problem.Contains("not available due to an error", StringComparison.Ordinal))
                    {
                        // libvirt drops an agent whose answer exceeds 10 MiB (seen: "No complete agent response found in
                        // 10485760 bytes") and keeps it unusable until the guest's agent reconnects
                        problem += " (libvirt gives up on an agent answer over 10 MiB, as a command printing over 7.5 MiB causes;"
                            + " the agent is usable again once it reconnects, e.g. after a restart of qemu-ga or of the VM)";
                    }
                    context.Logger.ExecutionStatusUnknown(vmId, pid, problem);
                    continue;
                }
                if (reply is not { Exited: true, Return: { } status })
                {
                    continue;
                }
                foreach (var stream in new[] { "out", "err" }
                    .Where(stream => status.TryGetProperty(stream + "-truncated", out var cut) && cut.ValueKind == JsonValueKind.True))
                {
                    context.Logger.ExecutionOutputCut(stream, vmId);
                }
                output.Append(Line(vmId, pid, Text(status, "exitcode"), Text(status, "out-data"), Text(status, "err-data"))).Append('\n');
                files.Remove(vmId);
            }
            await context.Stdout.WriteAsync(output.ToString()).ConfigureAwait(false);
        }
    }

    public static string Line(int vmId, long pid, string returnCode, string stdout, string stderr) =>
        string.Create(CultureInfo.InvariantCulture,
            $"VM = [ ID=\"{vmId}\", PID=\"{pid}\", STATUS=\"DONE\", RETURN_CODE=\"{returnCode}\", STDOUT=\"{stdout}\", STDERR=\"{stderr}\" ]");

    private static string Text(JsonElement status, string name) =>
        status.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()
            : "";
}
