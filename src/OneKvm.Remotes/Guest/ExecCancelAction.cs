namespace OneKvm.Remotes.Guest;

/// <summary>
/// exec_cancel VM_ID HOST: ends VM_ID's running execution (kill -9 of the agent's pid, run
/// by the agent, as upstream does) and removes its pid file. No execution is success; an
/// execution that is already over only loses its pid file.
/// </summary>
internal sealed class ExecCancelAction : IDriverAction
{
    private static readonly ActionParameter VmIdAppended = new("vm_id", "OpenNebula VM ID, appended by one_vmm_exec (domain one-<vm_id>)");
    public static readonly ActionEntry Row = ActionEntry.Vmm("exec_cancel", "End the command exec started in the guest; none running is success.",
        [VmIdAppended, ThisHost.Optional()], ActionEntry.ActionData, ActionEntry.Nothing, () => new ExecCancelAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var vmId = ExecAction.VmIdOf(arguments[VmIdAppended]);
        var domain = ExecAction.DomainOf(vmId);
        var files = ExecutionFiles.For(context.Environment, context.SleepAsync);
        var agent = new GuestAgent(context.Virsh);
        using (await files.LockAsync(ExecAction.LockWait, cancellationToken).ConfigureAwait(false))
        {
            if (files.ReadPid(vmId, out var unreadable) is not { } pid)
            {
                if (unreadable is not null)
                {
                    context.Logger.PidFileUnreadable(unreadable);
                    files.Remove(vmId);
                }
                context.Logger.NothingToCancel(vmId);
                return;
            }
            var status = await agent.CallAsync(domain, ExecAction.StatusCommand(pid), ExecAction.AgentTimeout, cancellationToken)
                .ConfigureAwait(false);
            if (status.Exited == true)
            {
                context.Logger.ExecutionAlreadyEnded(vmId, pid);
                files.Remove(vmId);
                return;
            }
            if (status.Problem is { } unknown && unknown.Contains("Invalid parameter 'pid'", StringComparison.Ordinal))
            {
                // the guest rebooted or the agent restarted: that pid may now be anything
                context.Logger.ExecutionUnknown(vmId, pid);
                files.Remove(vmId);
                return;
            }
            var kill = GuestAgent.Exec("kill", ["-9", pid.ToString(CultureInfo.InvariantCulture)]);
            var reply = await agent.CallAsync(domain, kill, ExecAction.AgentTimeout, cancellationToken).ConfigureAwait(false);
            if (reply.Problem is { } problem)
            {
                throw new OneKvmException($"Could not end the command of VM {vmId} (guest pid {pid}) through the guest agent: {problem}".AsSentence());
            }
            files.Remove(vmId);
            context.Logger.ExecutionEnded(vmId, pid);
        }
    }
}
