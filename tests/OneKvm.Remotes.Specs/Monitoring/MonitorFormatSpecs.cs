using System.Text;
using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Driver;
using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

public sealed class MonitorFormatSpecs
{
    private static readonly IoCounters Counters = new(1, 2, 3, 4, 5, 6);

    [Fact]
    public void The_monitor_line_carries_id_uuid_and_the_values_in_base64()
    {
        var line = MonitorFormat.MonitorLine(7, "u-7", 12.345, 41040, Counters);

        Assert.StartsWith("VM = [ ID=\"7\", DEPLOY_ID=\"u-7\", MONITOR=\"", line);
        var monitor = line.Split("MONITOR=\"")[1].Split('"')[0];
        Assert.Equal(
            "CPU=\"12.35\"\nMEMORY=\"41040\"\nNETRX=\"1\"\nNETTX=\"2\"\nDISKRDBYTES=\"3\"\nDISKWRBYTES=\"4\"\nDISKRDIOPS=\"5\"\nDISKWRIOPS=\"6\"\n",
            Encoding.UTF8.GetString(Convert.FromBase64String(monitor)));
    }

    [Fact]
    public void Cpu_and_memory_are_left_out_when_the_process_was_not_found_as_upstream_does() =>
        Assert.Equal("NETRX=\"1\"\nNETTX=\"2\"\nDISKRDBYTES=\"3\"\nDISKWRBYTES=\"4\"\nDISKRDIOPS=\"5\"\nDISKWRIOPS=\"6\"\n",
            MonitorFormat.MonitorValues(null, null, Counters));

    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(12.0, "12.0")]
    [InlineData(12.5, "12.5")]
    [InlineData(1.999, "2.0")]
    [InlineData(100.254, "100.25")]
    [InlineData(199.995, "200.0")]
    public void Cpu_is_printed_like_upstreams_rounded_floats(double value, string text) =>
        Assert.Equal(text, MonitorFormat.Float(value));

    [Fact]
    public void The_legacy_poll_line_has_the_keys_of_OpenNebula_5() =>
        Assert.Equal("STATE=a CPU=1.5 MEMORY=41040 NETRX=1 NETTX=2 DISKRDBYTES=3 DISKWRBYTES=4 DISKRDIOPS=5 DISKWRIOPS=6",
            MonitorFormat.LegacyPollLine('a', 1.5, 41040, Counters));

    [Fact]
    public void The_state_line_names_id_uuid_and_state() =>
        Assert.Equal("VM = [ ID=\"3\", DEPLOY_ID=\"u\", STATE=\"FAILURE\" ]", MonitorFormat.StateLine(3, "u", "FAILURE"));

    [Theory]
    [InlineData(new string[0], null, null)]
    [InlineData(new[] { "node1" }, null, "node1")]
    [InlineData(new[] { "3", "node1" }, "3", "node1")]
    [InlineData(new[] { "kvm", "3", "node1" }, "3", "node1")]
    [InlineData(new[] { "kvm", "-r", "3", "-t", "15", "3", "node1" }, "3", "node1")]
    public void A_probe_takes_its_host_id_and_host_from_its_last_two_arguments(string[] args, string? hostId, string? host)
    {
        var entry = ActionTable.Find("vm_state")!;

        Assert.Equal((hostId, host), ProbeArguments.Of(ActionCommandLine.Parse(entry, args)));
    }
}
