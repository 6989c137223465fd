namespace OneKvm.Remotes.Migration;

/// <summary>A domain's state as `virsh domstate --reason` prints it ("paused (migrating)"), or absent.</summary>
internal sealed record ObservedState(string State, string Reason)
{
    /// <summary>Has a QEMU process: anything but shut off (a persistent domain's definition alone is not a running VM).</summary>
    public bool IsActive => State != "shut off";

    /// <summary>
    /// virsh's words for VIR_DOMAIN_PAUSED_MIGRATION and _POSTCOPY. "post-copy failed" is not
    /// one: each host then holds part of the memory and neither copy may be resumed or removed.
    /// </summary>
    public bool IsPausedByMigration => State == "paused" && Reason is "migrating" or "post-copy";

    public override string ToString() => Reason.Length > 0 ? $"{State} ({Reason})" : State;

    /// <summary>"running (migrated)" -> running, migrated.</summary>
    public static ObservedState Parse(string output)
    {
        var text = output.Trim();
        var open = text.LastIndexOf(" (", StringComparison.Ordinal);
        return open > 0 && text.EndsWith(')')
            ? new ObservedState(text[..open], text[(open + 2)..^1])
            : new ObservedState(text, "");
    }
}

internal enum MigratedDomainHost
{
    Source,
    Destination,
    Neither,

    /// <summary>A failed post-copy left part of the memory on each host: neither copy is touched.</summary>
    Split,
}

/// <summary>
/// Where a migration that did not report success left the domain, and what puts it on
/// exactly one host. The copy whose CPUs run is the one the guest lives in: an incoming
/// copy that never ran is removed and the source resumed; a source that libvirt left
/// paused after the destination took over (the client died between Finish and Confirm) is
/// removed, as Confirm would have done. A source the operator had paused stays paused.
/// "Remove" destroys an active copy and undefines a definition the migration made.
/// </summary>
internal sealed record MigrationOutcome(
    MigratedDomainHost Host,
    bool RemoveFromSource,
    bool RemoveFromDestination,
    bool ResumeOnSource,
    bool ResumeOnDestination)
{
    public static MigrationOutcome Decide(ObservedState? source, ObservedState? destination, bool wasRunning)
    {
        if (source is { Reason: "post-copy failed" } || destination is { Reason: "post-copy failed" })
        {
            return new(MigratedDomainHost.Split, false, false, false, false);
        }
        var onSource = source is { IsActive: true };
        var onDestination = destination is { IsActive: true };
        if (onSource && onDestination && destination!.State == "running" && source!.IsPausedByMigration)
        {
            return new(MigratedDomainHost.Destination, RemoveFromSource: true, RemoveFromDestination: false,
                ResumeOnSource: false, ResumeOnDestination: false);
        }
        if (onSource)
        {
            return new(MigratedDomainHost.Source, RemoveFromSource: false, RemoveFromDestination: destination is not null,
                ResumeOnSource: wasRunning && source!.IsPausedByMigration, ResumeOnDestination: false);
        }
        if (onDestination)
        {
            // a definition left shut off on the source would be the VM on both hosts
            return new(MigratedDomainHost.Destination, RemoveFromSource: source is not null, RemoveFromDestination: false,
                ResumeOnSource: false, ResumeOnDestination: wasRunning && destination!.IsPausedByMigration);
        }
        return new(MigratedDomainHost.Neither, false, false, false, false);
    }
}
