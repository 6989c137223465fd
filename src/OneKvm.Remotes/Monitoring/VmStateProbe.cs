namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The state probe (im/kvm-probes.d/vm/status): the state of the OpenNebula VMs on
/// the host that changed since the last run, and all of them every SYNC_STATE_VM
/// seconds (PROBES_PERIOD in the configuration on stdin), from one virsh process.
/// When libvirt does not answer it fails: it never reports the VMs as gone.
/// </summary>
internal sealed class VmStateProbe : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Probe("vm_state", "im/kvm-probes.d/vm/status/vm_state",
        "State probe: the state of every OpenNebula VM on this host that changed.",
        "VM = [ ID=..., DEPLOY_ID=..., STATE=... ] per VM", () => new VmStateProbe());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var (_, host) = ProbeArguments.Of(arguments);
        var syncSeconds = SyncSeconds(await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false));
        var files = ProbeStateFiles.For(context.Environment, context.Logger, host);
        // from the look at libvirt to the saved states: another probe running meanwhile would report the same changes
        using var stateLock = await StateLock.TakeAsync(context.Time, files.StatesPath, cancellationToken).ConfigureAwait(false);
        var domains = new HostDomains(context.Virsh.WithAttempts(1), new QemuProcessFinder(ProcFs.Host), context.Logger,
            NativeDomainStats.For(context.Virsh, context.Settings, context.Time, context.Logger));
        var vms = await domains.OneVmsAsync(counters: false, cancellationToken).ConfigureAwait(false);

        var observed = vms.Select(v => new ObservedVm(v.Id, v.Uuid, VmState.OpenNebulaState(v.Stats.State, v.Stats.Reason))).ToList();
        var now = context.Time.GetUtcNow().ToUnixTimeSeconds();
        var rules = ProbeDbSettings.Load(context.Location.Root, context.Logger);
        var (lines, next) = VmStateReport.Compute(files.LoadStates(), observed, now, syncSeconds, rules);
        files.SaveStates(next);
        await context.Stdout.WriteAsync(string.Concat(lines.Select(line => line + "\n"))).ConfigureAwait(false);
    }

    /// <summary>PROBES_PERIOD/SYNC_STATE_VM of the monitor configuration; upstream's 180 s when absent or unreadable.</summary>
    public static int SyncSeconds(string configuration) =>
        ProbeConfigFile.ProbesPeriod(configuration, "SYNC_STATE_VM", "the probe configuration") ?? VmStateReport.DefaultSyncSeconds;
}
