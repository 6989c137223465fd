namespace OneKvm.Remotes.Monitoring;

/// <summary>A VM the state probe sees on the host now.</summary>
internal sealed record ObservedVm(int Id, string Uuid, string State);

/// <summary>
/// The state probe's rules, as upstream's (im_mad lib/probe_db.rb with the shipped
/// probe_db.conf): report a VM when it is new or its state changed; every
/// SYNC_STATE_VM seconds report every VM, headed by SYNC_STATE=yes and
/// MISSING_STATE=POWEROFF; a VM gone from the host keeps its last state until it has
/// been missing probe_db.conf's :times_missing: polls, then is reported POWEROFF and forgotten.
/// </summary>
internal static class VmStateReport
{
    public const int DefaultSyncSeconds = 180;

    /// <param name="rules">probe_db.conf's; the values upstream ships when not given.</param>
    public static (IReadOnlyList<string> Lines, VmStateStore Next) Compute(VmStateStore previous,
        IReadOnlyList<ObservedVm> observed, long now, int syncSeconds, ProbeDbSettings? rules = null)
    {
        rules ??= ProbeDbSettings.Shipped;
        var next = new VmStateStore { LastSync = previous.LastSync };
        // :obsolete: entries not touched for this long are dropped
        var entries = previous.Entries.Where(e => e.Timestamp >= now - rules.ObsoleteSeconds).ToList();
        var lines = new List<string>();

        var sync = previous.LastSync is not { } last || now > last + syncSeconds;
        if (sync)
        {
            lines.Add("SYNC_STATE=yes");
            lines.Add("MISSING_STATE=" + VmState.Poweroff);
            next.LastSync = now;
        }

        foreach (var vm in observed)
        {
            // the id finds a VM whose domain was re-created with a new UUID
            var known = entries.FirstOrDefault(e => e.Id == vm.Id || e.Uuid == vm.Uuid);
            entries.RemoveAll(e => e.Id == vm.Id || e.Uuid == vm.Uuid);
            next.Entries.Add(new VmStateEntry(vm.Uuid, vm.Id, vm.State, 0, now));
            if (known is null || sync || known.State != vm.State)
            {
                lines.Add(MonitorFormat.StateLine(vm.Id, vm.Uuid, vm.State));
            }
        }

        foreach (var gone in entries)
        {
            // :times_missing: a VM briefly absent (a migration) is not powered off
            if (gone.Missing >= rules.TimesMissing)
            {
                lines.Add(MonitorFormat.StateLine(gone.Id, gone.Uuid, VmState.Poweroff));
                continue;
            }
            if (sync)
            {
                lines.Add(MonitorFormat.StateLine(gone.Id, gone.Uuid, gone.State));
            }
            next.Entries.Add(gone with { Missing = gone.Missing + 1, Timestamp = now });
        }
        return (lines, next);
    }
}
