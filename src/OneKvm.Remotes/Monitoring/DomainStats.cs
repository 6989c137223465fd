namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// One domain's block of <c>virsh domstats</c>: its libvirt state and reason codes and
/// the I/O counters summed over its NICs and disks, as upstream sums them.
/// </summary>
internal sealed record DomainStats(string Name, int State, int Reason, IoCounters Counters);

/// <summary>Cumulative counters since the domain started: bytes and requests.</summary>
internal readonly record struct IoCounters(long NetRx, long NetTx, long DiskReadBytes, long DiskWriteBytes,
    long DiskReadRequests, long DiskWriteRequests)
{
    public static readonly IoCounters Zero = default;
}
