namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// libvirt's state and reason codes (virDomainState, virDomainPausedReason) turned
/// into what OpenNebula reads: the state probe's STATE, the legacy poll's letter, and
/// whether the I/O counters mean anything right now. The mapping is upstream's
/// (im_mad lib/kvm.rb for STATE, the 5.x vmm/kvm/poll for the letter); upstream
/// compares virsh's words, this compares the codes those words are printed from.
/// </summary>
internal static class VmState
{
    public const string Running = "RUNNING";
    public const string Suspended = "SUSPENDED";
    public const string Failure = "FAILURE";
    public const string Unknown = "UNKNOWN";
    public const string Poweroff = "POWEROFF";

    // virDomainState
    public const int StateRunning = 1;
    public const int StateBlocked = 2;
    public const int StatePaused = 3;
    public const int StateShutdown = 4;
    public const int StateShutoff = 5;
    public const int StateCrashed = 6;
    public const int StatePmSuspended = 7;

    // virDomainPausedReason
    public const int PausedUnknown = 0;
    public const int PausedUser = 1;
    public const int PausedMigration = 2;
    public const int PausedSave = 3;
    public const int PausedIoError = 5;
    public const int PausedWatchdog = 6;
    public const int PausedCrashed = 10;
    public const int PausedStartingUp = 11;
    public const int PausedPostcopyFailed = 13;

    /// <summary>The state probe's STATE: RUNNING, SUSPENDED, FAILURE or UNKNOWN.</summary>
    public static string OpenNebulaState(int state, int reason) => state switch
    {
        // running, idle (blocked), in shutdown
        StateRunning or StateBlocked or StateShutdown => Running,
        StateCrashed => Failure,
        StatePmSuspended => Suspended,
        StatePaused => reason switch
        {
            PausedMigration or PausedSave or PausedStartingUp => Running,
            PausedIoError or PausedWatchdog or PausedCrashed or PausedPostcopyFailed or PausedUnknown => Failure,
            PausedUser => Suspended,
            // dumping, from snapshot, shutting down, creating snapshot, post-copy, api error:
            // upstream has no entry for them either
            _ => Unknown,
        },
        _ => Unknown,
    };

    /// <summary>
    /// Whether NETRX..DISKWRIOPS are reported: only for a running domain that is not
    /// paused for a migration, a save or its start (upstream reports 0 otherwise).
    /// </summary>
    public static bool CountersApply(int state, int reason) =>
        OpenNebulaState(state, reason) == Running
        && !(state == StatePaused && reason is PausedMigration or PausedStartingUp or PausedSave);

    /// <summary>
    /// The letter of the legacy VMM poll (OpenNebula 5.x): a active, e error, - gone.
    /// Note that 5.x read a domain paused by the user as an error: its suspend was a
    /// save to disk, so a paused domain was never one OpenNebula had asked for.
    /// </summary>
    public static char LegacyLetter(int state, int reason) => state switch
    {
        StateRunning or StateBlocked or StateShutdown => 'a',
        StatePaused => reason switch
        {
            PausedMigration => 'a',
            PausedIoError or PausedWatchdog or PausedCrashed or PausedPostcopyFailed or PausedUser or PausedUnknown => 'e',
            _ => 'a',
        },
        StateCrashed or StatePmSuspended => 'e',
        _ => '-',
    };
}
