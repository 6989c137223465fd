using System.Text;
using System.Text.Json;
using OneKvm.Remotes.Guest;
using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Guest;

public sealed class GuestMonitorFormatSpecs
{
    [Theory]
    [InlineData("{}", "{}")]
    [InlineData("""{"host-name":"vm1"}""", """{\"host-name\"=>\"vm1\"}""")]
    [InlineData("""{"a":[1,2],"b":null,"c":true}""", """{\"a\"=>\[1, 2\], \"b\"=>nil, \"c\"=>true}""")]
    [InlineData("""["x",{"k":"v"},3]""", """x, {"k"=>"v"}, 3""")]
    [InlineData("\"plain\"", "plain")]
    [InlineData("42", "42")]
    public void An_agent_answer_is_printed_as_upstreams_ruby_prints_it(string json, string printed)
    {
        using var document = JsonDocument.Parse(json);
        Assert.Equal(printed, RubyText.TopLevel(document.RootElement));
    }

    [Fact]
    public void Nvidia_smi_rows_are_averaged_for_utilisation_and_summed_for_memory_and_power()
    {
        var text = new StringBuilder();

        GuestMonitor.GpuKeys("GPU-a, 37, 12, 71.52, 15234\nGPU-b, 58, 20, 102.30, 8120\n", text);

        Assert.Equal("""
            GPU_UTILIZATION="47.5"
            GPU_MEMORY_UTILIZATION="16.0"
            GPU_MEMORY_FREE="23354.0"
            GPU_POWER_USAGE="173.82"
            GPU_COUNT="2"

            """.Replace("\r", "", StringComparison.Ordinal), text.ToString());
    }

    [Fact]
    public void Fields_nvidia_smi_cannot_give_count_as_zero_and_short_rows_are_left_out()
    {
        var text = new StringBuilder();

        GuestMonitor.GpuKeys("GPU-a, [N/A], 10, [Not Supported], 100\nincomplete, 1\n", text);

        Assert.Contains("GPU_UTILIZATION=\"0.0\"", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("GPU_POWER_USAGE=\"0.0\"", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("GPU_COUNT=\"1\"", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void No_usable_row_gives_no_gpu_keys()
    {
        var text = new StringBuilder();
        GuestMonitor.GpuKeys("", text);
        Assert.Equal("", text.ToString());
    }
}
