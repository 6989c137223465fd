using System.Buffers.Binary;
using OneKvm.Remotes.Libvirt;
using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Libvirt;

/// <summary>
/// The reply to CONNECT_GET_ALL_DOMAIN_STATS as libvirtd 9.0 sent it to virsh on this machine
/// (tests/fuzz-corpus/libvirt-reply, captured by tests/fuzz/capture-libvirt-replies.py), read by
/// the native client, and replies a garbage or hostile daemon could send.
/// </summary>
public sealed class DomainStatsReplySpecs
{
    private static string Corpus => Path.Combine(AppContext.BaseDirectory, "fuzz-corpus");

    private static byte[] Captured(string name) => File.ReadAllBytes(Path.Combine(Corpus, "libvirt-reply", name));

    /// <summary>The payload of a captured reply, through the same checks the client makes.</summary>
    private static IReadOnlyList<DomainStatsRecord> Read(byte[] message)
    {
        Assert.Equal(message.Length, RemoteMessage.Length(message.AsSpan(0, 4)));
        var serial = BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(20));
        return DomainStatsReply.Parse(RemoteMessage.ReplyPayload(message.AsSpan(4), RemoteClient.ProcConnectGetAllDomainStats, serial));
    }

    [Fact]
    public void A_captured_reply_reads_as_the_fields_virsh_printed_for_the_same_domain()
    {
        var records = Read(Captured("counters.bin"));

        // virsh domstats --state --interface --block on the same domain, right after the capture
        var virsh = File.ReadAllLines(Path.Combine(Corpus, "domstats", "native-seed-counters.txt"));
        var record = Assert.Single(records);
        Assert.Equal(virsh[0], $"Domain: '{record.Name}'");
        Assert.Equal(virsh.Skip(1).Where(line => line.Length > 0), record.Parameters.Select(p => $"  {p.Field}={p.Value}"));
        Assert.Equal(DomStatsOutput.Parse(string.Join('\n', virsh)), DomStatsOutput.FromRecords(records));
    }

    [Theory]
    [InlineData("state.bin", 2)]
    [InlineData("paused-counters.bin", 27)]
    [InlineData("all-groups.bin", 47)]
    public void Every_captured_reply_reads_whole_with_its_state_first(string file, int fields)
    {
        var record = Assert.Single(Read(Captured(file)));

        Assert.Equal(fields, record.Parameters.Count);
        Assert.Equal("state.state", record.Parameters[0].Field);
        Assert.Equal(file.StartsWith("paused", StringComparison.Ordinal) ? "3" : "1", record.Parameters[0].Value);
    }

    [Fact]
    public void A_reply_cut_anywhere_is_a_protocol_error_never_a_shorter_answer()
    {
        var message = Captured("counters.bin");
        var serial = BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(20));
        for (var cut = 4 + RemoteMessage.HeaderBytes; cut < message.Length; cut++)
        {
            var body = message.AsSpan(4, cut - 4).ToArray();
            Assert.Throws<RemoteProtocolException>(() =>
                DomainStatsReply.Parse(RemoteMessage.ReplyPayload(body, RemoteClient.ProcConnectGetAllDomainStats, serial)));
        }
    }

    [Theory]
    [InlineData(0x7fffffffu)]   // domains
    [InlineData(16385u)]        // one over REMOTE_DOMAIN_LIST_MAX
    public void A_count_over_its_limit_or_the_message_is_refused_before_anything_is_allocated(uint count)
    {
        var payload = new XdrWriter().UInt32(count).ToArray();

        var error = Assert.Throws<RemoteProtocolException>(() => DomainStatsReply.Parse(payload));

        Assert.Contains($"count {count}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_string_longer_than_the_message_is_refused()
    {
        var payload = new XdrWriter().UInt32(1).UInt32(0x7ffffff0).ToArray();

        Assert.Throws<RemoteProtocolException>(() => DomainStatsReply.Parse(payload));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(27u)]
    [InlineData((32u << 20) + 5)]
    [InlineData(0xffffffffu)]
    public void A_message_length_outside_the_protocols_bounds_is_refused(uint length)
    {
        var word = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, length);

        Assert.Throws<RemoteProtocolException>(() => RemoteMessage.Length(word));
    }

    [Fact]
    public void An_unknown_parameter_type_is_refused()
    {
        var payload = new XdrWriter().UInt32(1).String("one-7").UInt32(0).UInt32(0).UInt32(0).UInt32(0).UInt32(0)
            .UInt32(1).String("state.state").UInt32(9).UInt32(1).ToArray();

        Assert.Throws<RemoteProtocolException>(() => DomainStatsReply.Parse(payload));
    }

    [Fact]
    public void Values_are_written_as_virsh_prints_them_and_only_integers_become_counters()
    {
        var payload = new XdrWriter().UInt32(1).String("one-7").UInt32(0).UInt32(0).UInt32(0).UInt32(0).UInt32(7)
            .UInt32(7)
            .String("state.state").UInt32(1).UInt32(3)                                   // int
            .String("state.reason").UInt32(2).UInt32(0xffffffff)                         // unsigned int
            .String("net.0.rx.bytes").UInt32(4).UInt32(0xffffffff).UInt32(0xffffffff)     // unsigned hyper over long
            .String("net.1.rx.bytes").UInt32(3).UInt32(0).UInt32(5)                       // hyper
            .String("net.0.tx.bytes").UInt32(5).UInt32(0x3ff80000).UInt32(0)              // double 1.5
            .String("block.0.rd.bytes").UInt32(6).UInt32(1)                               // boolean
            .String("block.0.wr.bytes").UInt32(7).String("12")                            // a string of digits
            .ToArray();

        var record = Assert.Single(DomainStatsReply.Parse(payload));
        var stats = Assert.Single(DomStatsOutput.FromRecords([record]));

        Assert.Equal(["3", "4294967295", "18446744073709551615", "5", "1.500000", "yes", "12"], record.Parameters.Select(p => p.Value));
        Assert.Equal("one-7", stats.Name);
        Assert.Equal((3, int.MaxValue), (stats.State, stats.Reason));
        // what virsh's text would give: the unsigned hyper over a long, the double and the boolean are skipped
        Assert.Equal(new IoCounters(5, 0, 0, 12, 0, 0), stats.Counters);
        Assert.Equal(DomStatsOutput.Parse("Domain: 'one-7'\n" + string.Concat(record.Parameters.Select(p => $"  {p.Field}={p.Value}\n"))),
            [stats]);
    }

    [Fact]
    public void An_error_reply_carries_the_daemons_message()
    {
        var error = new XdrWriter().UInt32(38).UInt32(10).UInt32(1).String("Unable to read from monitor").UInt32(2)
            .UInt32(0).UInt32(0).UInt32(0).UInt32(0).UInt32(0).UInt32(0).UInt32(0).ToArray();
        var message = RemoteMessage.Encode(RemoteClient.ProcConnectGetAllDomainStats, 6, error);
        // a reply: type 1, status 1 (error)
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(16), 1);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(24), 1);

        var failure = Assert.Throws<RemoteCallException>(() =>
            RemoteMessage.ReplyPayload(message.AsSpan(4), RemoteClient.ProcConnectGetAllDomainStats, 6).ToArray());

        Assert.Equal("Unable to read from monitor", failure.Message);
        Assert.Equal(38, failure.Code);
    }

    [Theory]
    [InlineData(1, 0u)]
    [InlineData(0, 1u)]
    public void A_reply_to_another_call_is_a_protocol_error(int otherProcedure, uint otherSerial)
    {
        var message = Captured("counters.bin");
        var serial = BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(20)) + otherSerial;

        Assert.Throws<RemoteProtocolException>(() =>
            RemoteMessage.ReplyPayload(message.AsSpan(4), RemoteClient.ProcConnectGetAllDomainStats + otherProcedure, serial).ToArray());
    }
}
