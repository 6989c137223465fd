namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// poll, the legacy VMM action: one domain's STATE=&lt;letter&gt; CPU MEMORY and
/// counters in OpenNebula 5.x's format. A domain libvirt does not know is STATE=-
/// (as 5.x answered); libvirt not answering is a failure, never STATE=-.
/// </summary>
internal sealed class PollAction : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Vmm("poll", "Report one domain's state and usage (legacy VMM poll).",
        [DeployId, ThisHost.Optional(), VmId, VmHost], ActionEntry.ActionData, "STATE=... CPU=... MEMORY=... NETRX=... NETTX=...", () => new PollAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var proc = ProcFs.Host;
        var domains = new HostDomains(context.Virsh, new QemuProcessFinder(proc), context.Logger);
        var found = await domains.OneAsync(domain, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            context.Logger.LogInformation("Domain {Domain} is not on this host", domain);
            await context.Stdout.WriteAsync("STATE=-\n").ConfigureAwait(false);
            return;
        }

        var (stats, process) = found.Value;
        double? cpu = null;
        long? memory = null;
        if (process is not null)
        {
            // the samples the monitor probe keeps for this host, so no sleep is needed here either
            var files = ProbeStateFiles.For(context.Environment, context.Logger, arguments.Optional(ThisHost) ?? arguments.Optional(VmHost));
            var samples = files.LoadSamples(proc);
            var meter = new CpuMeter(proc, context.SleepAsync, () => context.Logger);
            var usage = await meter.MeasureAsync([process], samples, cancellationToken).ConfigureAwait(false);
            samples.Prune(proc.Uptime() ?? 0);
            files.SaveSamples(samples);
            cpu = usage.TryGetValue(process.Uuid, out var percent) ? percent : null;
            memory = proc.MemoryKiB(process.Pid);
        }
        var line = MonitorFormat.LegacyPollLine(VmState.LegacyLetter(stats.State, stats.Reason), cpu, memory, stats.Counters);
        await context.Stdout.WriteAsync(line + "\n").ConfigureAwait(false);
    }
}
