using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

public sealed class CpuMeterSpecs : IDisposable
{
    private const string BootId = "b00710d0-0000-4000-8000-000000000001";
    private const string A = "11111111-2222-4333-8444-555555555555";
    private const string B = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    private readonly FakeProcTree _tree = new();
    private readonly List<TimeSpan> _sleeps = [];
    private Action _duringSleep = () => { };

    private CpuMeter Meter => new(new ProcFs(_tree.Proc), (delay, _) =>
    {
        _sleeps.Add(delay);
        _duringSleep();
        return Task.CompletedTask;
    });

    [Fact]
    public async Task Cpu_is_the_time_used_since_the_previous_polls_sample()
    {
        _tree.Qemu(10, "one-1", A, cpuTicks: 5000 + 1500, startTicks: 100);
        _tree.Uptime = 1030;
        var store = Store(full: 1000, (A, new CpuSample(10, 100, 5000, 1000)));

        var usage = await Meter.MeasureAsync([Process(10, A)], store, default);

        Assert.Equal(50.0, usage[A], precision: 6);
        Assert.Empty(_sleeps);
        Assert.Equal(new CpuSample(10, 100, 6500, 1030), store.Samples[A]);
    }

    [Fact]
    public async Task A_domain_started_after_the_previous_full_poll_is_measured_over_its_whole_life()
    {
        // started at 1010 s (ticks 101000), used 5 s of CPU in its 20 s
        _tree.Qemu(11, "one-2", B, cpuTicks: 500, startTicks: 101_000);
        _tree.Uptime = 1030;
        var store = Store(full: 1000);

        var usage = await Meter.MeasureAsync([Process(11, B)], store, default);

        Assert.Equal(25.0, usage[B], precision: 6);
        Assert.Empty(_sleeps);
    }

    [Fact]
    public async Task A_domain_restarted_since_its_sample_is_not_compared_with_its_old_process()
    {
        _tree.Qemu(12, "one-1", A, cpuTicks: 100, startTicks: 102_000);
        _tree.Uptime = 1030;
        // the old process had used far more: comparing would give a negative or absurd value
        var store = Store(full: 1000, (A, new CpuSample(9, 100, 90_000, 1000)));

        var usage = await Meter.MeasureAsync([Process(12, A)], store, default);

        // 1 s of CPU in the 10 s since it started
        Assert.Equal(10.0, usage[A], precision: 6);
        Assert.Equal(12, store.Samples[A].Pid);
    }

    [Fact]
    public async Task Without_a_previous_poll_one_short_sample_measures_every_domain()
    {
        _tree.Qemu(13, "one-1", A, cpuTicks: 1000);
        _tree.Qemu(14, "one-2", B, cpuTicks: 2000);
        _tree.Uptime = 1030;
        _duringSleep = () =>
        {
            _tree.SetCpu(13, 1000 + 50);
            _tree.SetCpu(14, 2000 + 10);
            _tree.Uptime = 1030.5;
        };

        var usage = await Meter.MeasureAsync([Process(13, A), Process(14, B)], new CpuSampleStore(BootId), default);

        Assert.Equal([CpuMeter.ShortSample], _sleeps);
        Assert.Equal(100.0, usage[A], precision: 6);
        Assert.Equal(20.0, usage[B], precision: 6);
    }

    [Fact]
    public async Task A_sample_taken_less_than_a_second_ago_by_a_concurrent_probe_is_not_enough()
    {
        _tree.Qemu(15, "one-1", A, cpuTicks: 1001);
        _tree.Uptime = 1000.3;
        var store = Store(full: 1000, (A, new CpuSample(15, 100, 1000, 1000)));
        _duringSleep = () =>
        {
            _tree.SetCpu(15, 1001 + 25);
            _tree.Uptime = 1000.8;
        };

        var usage = await Meter.MeasureAsync([Process(15, A)], store, default);

        Assert.Single(_sleeps);
        Assert.Equal(50.0, usage[A], precision: 6);
    }

    [Fact]
    public async Task A_process_that_exits_before_its_sample_gets_no_cpu_and_leaves_the_other_samples_alone()
    {
        var store = Store(full: 1000, (B, new CpuSample(20, 100, 1, 999)));

        var usage = await Meter.MeasureAsync([Process(16, A)], store, default);

        Assert.Empty(usage);
        Assert.False(store.Samples.ContainsKey(A));
        Assert.True(store.Samples.ContainsKey(B));
    }

    [Fact]
    public void Two_samples_of_one_process_give_the_percentage_of_one_core()
    {
        var before = new CpuSample(1, 100, 1000, 500);

        Assert.Equal(150.0, new CpuSample(1, 100, 1000 + 3000, 520).PercentSince(before));
        Assert.Null(new CpuSample(1, 100, 1000 + 3000, 500.5).PercentSince(before));
        Assert.Null(new CpuSample(2, 100, 1000 + 3000, 520).PercentSince(before));
        Assert.Null(new CpuSample(1, 100, 999, 520).PercentSince(before));
    }

    private static QemuProcess Process(int pid, string uuid) => new("one-x", uuid, pid);

    private static CpuSampleStore Store(double full, params (string Uuid, CpuSample Sample)[] samples)
    {
        var store = new CpuSampleStore(BootId) { FullPollAt = full };
        foreach (var (uuid, sample) in samples)
        {
            store.Samples[uuid] = sample;
        }
        return store;
    }

    public void Dispose() => _tree.Dispose();
}
