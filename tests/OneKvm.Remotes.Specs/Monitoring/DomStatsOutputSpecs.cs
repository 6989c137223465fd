using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

public sealed class DomStatsOutputSpecs
{
    // what virsh 9.0 prints for domstats --state --interface --block (two NICs, a disk and a CD-ROM)
    private const string TwoDomains = """
        Domain: 'one-7'
          state.state=1
          state.reason=1
          net.count=2
          net.0.name=vnet12
          net.0.rx.bytes=90
          net.0.rx.pkts=1
          net.0.rx.errs=0
          net.0.rx.drop=0
          net.0.tx.bytes=1000
          net.0.tx.pkts=3
          net.0.tx.errs=0
          net.0.tx.drop=0
          net.1.name=vnet13
          net.1.rx.bytes=10
          net.1.tx.bytes=5
          block.count=2
          block.0.name=vda
          block.0.path=/var/lib/one/datastores/0/7/disk.0
          block.0.backingIndex=1
          block.0.rd.reqs=4
          block.0.rd.bytes=2048
          block.0.rd.times=55
          block.0.wr.reqs=2
          block.0.wr.bytes=8192
          block.0.wr.times=77
          block.0.fl.reqs=1
          block.0.fl.times=3
          block.0.allocation=0
          block.0.capacity=1048576
          block.0.physical=1048576
          block.1.name=hda
          block.1.path=/var/lib/one/datastores/0/7/disk.1
          block.1.rd.reqs=6
          block.1.rd.bytes=3072
          block.1.wr.reqs=0
          block.1.wr.bytes=0

        Domain: 'one-8'
          state.state=3
          state.reason=1
          net.count=0
          block.count=0

        """;

    [Fact]
    public void Counters_are_summed_over_every_NIC_and_disk_of_a_domain()
    {
        var domains = DomStatsOutput.Parse(TwoDomains);

        Assert.Equal(["one-7", "one-8"], domains.Select(d => d.Name));
        Assert.Equal(new IoCounters(NetRx: 100, NetTx: 1005, DiskReadBytes: 5120, DiskWriteBytes: 8192,
            DiskReadRequests: 10, DiskWriteRequests: 2), domains[0].Counters);
        Assert.Equal((1, 1), (domains[0].State, domains[0].Reason));
    }

    [Fact]
    public void A_domain_without_devices_has_zero_counters_and_its_state()
    {
        var paused = DomStatsOutput.Parse(TwoDomains)[1];

        Assert.Equal(IoCounters.Zero, paused.Counters);
        Assert.Equal((VmState.StatePaused, VmState.PausedUser), (paused.State, paused.Reason));
    }

    [Fact]
    public void Times_flushes_and_sizes_are_not_counted_as_reads_or_writes()
    {
        // upstream matches /rd.bytes/ anywhere in the key; only the exact fields count here
        var d = DomStatsOutput.Parse("""
            Domain: 'one-1'
              block.0.rd.times=999
              block.0.fl.reqs=999
              block.0.capacity=999
              net.0.rx.pkts=999
              net.count=999
              block.0.rd.bytes=1
            """).Single();

        Assert.Equal(new IoCounters(0, 0, 1, 0, 0, 0), d.Counters);
    }

    [Fact]
    public void Names_with_spaces_and_quotes_are_read_whole()
    {
        var d = DomStatsOutput.Parse("Domain: 'it's a test'\n  state.state=5\n  state.reason=2\n").Single();

        Assert.Equal("it's a test", d.Name);
        Assert.Equal(VmState.StateShutoff, d.State);
    }

    [Fact]
    public void A_domain_without_a_state_field_has_an_unknown_state()
    {
        var d = DomStatsOutput.Parse("Domain: 'one-3'\n  net.count=0\n").Single();

        Assert.Equal(-1, d.State);
        Assert.Equal(VmState.Unknown, VmState.OpenNebulaState(d.State, d.Reason));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("garbage\n  state.state=1\nmore garbage")]
    public void Output_without_domain_blocks_has_no_domains(string text) =>
        Assert.Empty(DomStatsOutput.Parse(text));

    [Fact]
    public void Malformed_fields_are_skipped_and_the_rest_is_kept()
    {
        var d = DomStatsOutput.Parse("Domain: 'one-4'\r\n  state.state=1\r\n  net.0.rx.bytes=abc\r\n  net.0.tx.bytes=-5\r\n  = 3\r\n  net.1.rx.bytes=7\r\n").Single();

        Assert.Equal(1, d.State);
        Assert.Equal(new IoCounters(7, 0, 0, 0, 0, 0), d.Counters);
    }
}
