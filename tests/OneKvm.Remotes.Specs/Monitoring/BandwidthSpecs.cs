using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

public sealed class BandwidthSpecs
{
    private const string Boot = "b00710d0-0000-4000-8000-000000000001";
    private static readonly IoCounters Before = new(1_000, 2_000, 4_096, 8_192, 10, 20);

    [Fact]
    public void Each_rate_is_the_counters_growth_per_second_between_two_polls()
    {
        var before = new IoSample(3171, 157891, 100.0, Before);
        var now = new IoSample(3171, 157891, 130.0, new IoCounters(31_000, 2_000, 4_096 + 30 * 512, 8_192 + 300, 10 + 60, 21));

        var values = Bandwidth.Values(now, before, countersApply: true).ToDictionary(v => v.Key, v => v.Value);

        Assert.Equal(new Dictionary<string, string>
        {
            ["NETRX_BW"] = "1000.0", ["NETTX_BW"] = "0.0", ["DISKRDBYTES_BW"] = "512.0",
            ["DISKWRBYTES_BW"] = "10.0", ["DISKRDIOPS_BW"] = "2.0", ["DISKWRIOPS_BW"] = "0.03",
        }, values);
    }

    [Fact]
    public void The_first_poll_gives_no_rate()
    {
        Assert.Empty(Bandwidth.Values(new IoSample(1, 2, 100, Before), null, countersApply: true));
    }

    [Fact]
    public void A_restarted_qemu_gives_no_rate_even_when_its_counters_grew_past_the_old_ones()
    {
        var before = new IoSample(3171, 157891, 100.0, Before);
        var restarted = new IoSample(4242, 160000, 130.0, Before with { NetRx = 5_000_000 });

        Assert.Empty(Bandwidth.Values(restarted, before, countersApply: true));
    }

    [Fact]
    public void A_counter_that_went_backwards_gives_no_value_for_that_key_only()
    {
        var before = new IoSample(3171, 157891, 100.0, Before);
        var now = new IoSample(3171, 157891, 110.0, Before with { NetRx = 10, NetTx = 2_100 });

        var values = Bandwidth.Values(now, before, countersApply: true).ToDictionary(v => v.Key, v => v.Value);

        Assert.False(values.ContainsKey("NETRX_BW"));
        Assert.Equal("10.0", values["NETTX_BW"]);
        Assert.Equal(5, values.Count);
    }

    [Theory]
    [InlineData(100.5)] // a concurrent probe just ran: too short to mean anything
    [InlineData(100 + 2 * 86_400)] // a sample from two days ago
    [InlineData(50)] // older than the previous one: not the same clock
    public void Intervals_that_cannot_give_a_rate_give_none(double at)
    {
        var before = new IoSample(3171, 157891, 100.0, Before);
        var now = new IoSample(3171, 157891, at, Before with { NetRx = 1_000_000_000_000 });

        Assert.Empty(Bandwidth.Values(now, before, countersApply: true));
    }

    [Fact]
    public void A_domain_whose_counters_do_not_apply_gets_no_rate()
    {
        var before = new IoSample(3171, 157891, 100.0, Before);
        var now = new IoSample(3171, 157891, 130.0, Before with { NetRx = 31_000 });

        Assert.Empty(Bandwidth.Values(now, before, countersApply: false));
    }

    [Fact]
    public void A_domain_whose_process_was_not_found_is_compared_by_its_counters_alone()
    {
        var before = new IoSample(0, 0, 100.0, Before);
        var now = new IoSample(0, 0, 110.0, Before with { NetRx = 1_100 });

        Assert.Equal("10.0", Bandwidth.Values(now, before, countersApply: true).Single(v => v.Key == "NETRX_BW").Value);
    }

    [Fact]
    public void Io_samples_survive_a_round_trip_through_their_file()
    {
        var store = new IoSampleStore(Boot);
        store.Samples["00d01462-1ac3-4741-8a7c-708745005608"] = new IoSample(3171, 157891, 2722.75, Before);
        store.Samples["00d8e668-584b-4e83-9ac3-ba4b46a10057"] = new IoSample(0, 0, 2722.75, new IoCounters(long.MaxValue, 0, 1, 2, 3, 4));

        var read = IoSampleStore.Parse(store.Render(), Boot);

        Assert.Equal(store.Samples, read.Samples);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("onekvm-io-samples 1\nboot another-boot\nvm u 1 2 3.00 1 2 3 4 5 6\n")]
    [InlineData("onekvm-io-samples 1\nboot " + Boot + "\nvm u 1 2 3.00 1 2 3 4 5\n")]
    [InlineData("onekvm-io-samples 1\nboot " + Boot + "\nvm u 1 2 3.00 1 2 3 4 5 -6\n")]
    public void A_missing_foreign_or_torn_io_file_starts_afresh(string? text)
    {
        Assert.Empty(IoSampleStore.Parse(text, Boot).Samples);
    }
}
