using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

public sealed class StateStoreSpecs
{
    private const string Boot = "b00710d0-0000-4000-8000-000000000001";

    [Fact]
    public void Cpu_samples_survive_a_round_trip_through_their_file()
    {
        var store = new CpuSampleStore(Boot) { FullPollAt = 2721.95 };
        store.Samples["00d01462-1ac3-4741-8a7c-708745005608"] = new CpuSample(3171, 157891, 1946, 2722.75);
        store.Samples["00d8e668-584b-4e83-9ac3-ba4b46a10057"] = new CpuSample(6170, 166631, 1865, 2722.75);

        var read = CpuSampleStore.Parse(store.Render(), Boot);

        Assert.Equal(2721.95, read.FullPollAt);
        Assert.Equal(store.Samples, read.Samples);
    }

    [Fact]
    public void Cpu_samples_from_before_a_reboot_are_ignored()
    {
        var store = new CpuSampleStore(Boot) { FullPollAt = 10 };
        store.Samples["u"] = new CpuSample(1, 2, 3, 4);

        var read = CpuSampleStore.Parse(store.Render(), "another-boot");

        Assert.Empty(read.Samples);
        Assert.Null(read.FullPollAt);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("onekvm-cpu-samples 1\n")]
    [InlineData("something else\nboot " + Boot + "\n")]
    [InlineData("onekvm-cpu-samples 1\nboot " + Boot + "\nvm u 1 2 3\n")]
    [InlineData("onekvm-cpu-samples 1\nboot " + Boot + "\nvm u 1 2 3 4\nvm v 1 2 x 4\n")]
    [InlineData("onekvm-cpu-samples 1\nboot " + Boot + "\nfull 1\nvm u 1 2 3 4\nwhat is this\n")]
    [InlineData("onekvm-cpu-samples 1\nboot " + Boot + "\nvm u -1 2 3 4\n")]
    public void A_missing_or_damaged_samples_file_only_costs_a_fresh_start(string? text)
    {
        var read = CpuSampleStore.Parse(text, Boot);

        Assert.Empty(read.Samples);
        Assert.Null(read.FullPollAt);
    }

    [Fact]
    public void Samples_older_than_a_day_are_pruned()
    {
        var store = new CpuSampleStore(Boot);
        store.Samples["old"] = new CpuSample(1, 1, 1, 100);
        store.Samples["new"] = new CpuSample(2, 1, 1, 100 + CpuSampleStore.MaximumAge);

        store.Prune(101 + CpuSampleStore.MaximumAge);

        Assert.Equal(["new"], store.Samples.Keys);
    }

    [Fact]
    public void Vm_states_survive_a_round_trip_through_their_file()
    {
        var store = new VmStateStore { LastSync = 1_700_000_000 };
        store.Entries.Add(new VmStateEntry("11111111-2222-4333-8444-555555555555", 7, "RUNNING", 0, 1_700_000_005));
        store.Entries.Add(new VmStateEntry("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", 8, "SUSPENDED", 3, 1_700_000_001));

        var read = VmStateStore.Parse(store.Render());

        Assert.Equal(store.LastSync, read.LastSync);
        Assert.Equal(store.Entries, read.Entries);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("onekvm-vm-states 2\nsync 5\n")]
    [InlineData("onekvm-vm-states 1\nsync 5\nvm u 7 RUNNING 0\n")]
    [InlineData("onekvm-vm-states 1\nsync five\n")]
    [InlineData("onekvm-vm-states 1\nsync 5\nvm u 7 RUNNING 0 1\nvm\0\n")]
    public void A_missing_or_damaged_states_file_makes_the_next_report_a_full_one(string? text)
    {
        var read = VmStateStore.Parse(text);

        Assert.Null(read.LastSync);
        Assert.Empty(read.Entries);
    }

    [Fact]
    public void State_files_are_named_after_the_host_whatever_its_name_holds()
    {
        Assert.Equal("onekvm-cpu-node1.example.com", RuntimeDirectory.FileName("cpu", "node1.example.com"));
        Assert.Equal("onekvm-states-_etc_passwd", RuntimeDirectory.FileName("states", "/etc/passwd"));
        Assert.Equal("onekvm-states-local", RuntimeDirectory.FileName("states", null));
    }

    [Fact]
    public void The_runtime_directory_can_be_chosen_and_must_exist()
    {
        var dir = Path.GetTempPath();

        Assert.Equal((dir, null), RuntimeDirectory.Resolve(n => n == RuntimeDirectory.OverrideVariable ? dir : null));
        var (path, problem) = RuntimeDirectory.Resolve(n => n == RuntimeDirectory.OverrideVariable ? "/nonexistent/x" : null);
        Assert.Null(path);
        Assert.Contains("/nonexistent/x", problem);
    }
}
