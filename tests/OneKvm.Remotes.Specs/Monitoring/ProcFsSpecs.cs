using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

public sealed class ProcFsSpecs : IDisposable
{
    private readonly FakeProcTree _tree = new();

    [Fact]
    public void Cpu_time_is_user_system_and_children_time_and_the_name_may_hold_parentheses()
    {
        _tree.Process(77, ["qemu"]);
        _tree.SetCpu(77, cpuTicks: 1213, startTicks: 157050);

        Assert.Equal(new ProcessTimes(1213, 157050), new ProcFs(_tree.Proc).Times(77));
    }

    [Fact]
    public void Memory_is_resident_plus_swapped_out_in_KiB()
    {
        _tree.Process(78, ["qemu"], rssKiB: 41040, swapKiB: 960);

        Assert.Equal(42000, new ProcFs(_tree.Proc).MemoryKiB(78));
    }

    [Fact]
    public void A_process_that_is_gone_has_no_times_memory_or_command_line()
    {
        var proc = new ProcFs(_tree.Proc);

        Assert.Null(proc.Times(79));
        Assert.Null(proc.MemoryKiB(79));
        Assert.Null(proc.CommandLine(79));
    }

    [Fact]
    public void Uptime_and_boot_id_come_from_the_kernel_files()
    {
        _tree.Uptime = 2122.2;
        var proc = new ProcFs(_tree.Proc);

        Assert.Equal(2122.2, proc.Uptime());
        Assert.Equal("b00710d0-0000-4000-8000-000000000001", proc.BootId());
    }

    [Fact]
    public void A_truncated_stat_line_is_no_sample()
    {
        _tree.Process(80, ["qemu"]);
        File.WriteAllText(Path.Combine(_tree.Proc, "80", "stat"), "80 (qemu) S 1 2 3");

        Assert.Null(new ProcFs(_tree.Proc).Times(80));
    }

    [Fact]
    public void The_real_proc_describes_this_very_process()
    {
        var proc = ProcFs.Host;
        var self = Environment.ProcessId;

        Assert.NotNull(proc.Times(self));
        Assert.True(proc.MemoryKiB(self) > 1000);
        Assert.Contains(self, proc.ProcessIds());
        Assert.True(proc.Uptime() > 0);
        Assert.Equal(36, proc.BootId()?.Length);
    }

    public void Dispose() => _tree.Dispose();
}
