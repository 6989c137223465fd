using Microsoft.Extensions.Logging.Abstractions;
using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

public sealed class ForecastSettingsSpecs
{
    private static ForecastSettings Read(string text) => ForecastSettings.From(ProbeYaml.Parse(text), "forecast.conf", NullLogger.Instance);

    [Fact]
    public void Without_a_virtualmachine_section_nothing_is_forecast_and_four_weeks_are_kept()
    {
        Assert.Equal(ForecastSettings.None, Read(""));
        Assert.Equal(ForecastSettings.None, Read("host:\n  db_retention: 1\n  forecast:\n    enabled: true\n"));
        Assert.Equal(4, ForecastSettings.None.RetentionWeeks);
        Assert.False(ForecastSettings.None.Near.Enabled || ForecastSettings.None.Far.Enabled);
    }

    [Fact]
    public void The_shipped_file_forecasts_five_minutes_ahead_over_an_hour_and_keeps_two_weeks()
    {
        var settings = Read("virtualmachine:\n  db_retention: 2\n  forecast:\n      enabled: true \n      period: 5\n      lookback: 60\n" +
                            "  forecast_far:\n      enabled: false\n      period:  2880\n      lookback: 10080\n");

        Assert.Equal(new ForecastSettings(2, new ForecastWindow(true, 5, 60), new ForecastWindow(false, 2880, 10080), 30), settings);
    }

    [Fact]
    public void A_window_the_section_leaves_out_is_on_with_prediction_pys_defaults()
    {
        var settings = Read("virtualmachine:\n  db_retention: 2\n");

        Assert.Equal(ForecastWindow.Unstated, settings.Near);
        Assert.Equal(ForecastWindow.Unstated, settings.Far);
        Assert.Equal(new ForecastWindow(true, 15, 60), ForecastWindow.Unstated);
    }

    [Theory]
    [InlineData("virtualmachine:\n  forecast:\n    period: soon\n")]
    [InlineData("virtualmachine:\n  forecast:\n    enabled: maybe\n")]
    [InlineData("virtualmachine:\n  forecast:\n    period: 0\n")]
    public void A_value_prediction_py_stops_at_means_no_forecast(string text)
    {
        Assert.Equal(ForecastSettings.None, Read(text));
    }

    [Theory]
    [InlineData(1_800_000_000L, 3840, true)]
    [InlineData(1_800_000_030L, 3840, false)]
    [InlineData(1_800_000_000L, 3841, false)]
    public void The_far_forecast_runs_in_the_monitor_interval_the_vms_id_falls_on(long now, int vmId, bool expected)
    {
        // 2880 minutes at 30 s: 5760 slots; 1_800_000_000 / 30 % 5760 = 3840
        var settings = Read("virtualmachine:\n  forecast_far:\n    enabled: true\n    period: 2880\n    lookback: 10080\n");
        var recorder = new VmMetricRecorder(new MetricHistory("/nonexistent", 2), settings, now);

        Assert.Equal(expected, recorder.InFarSlot(vmId));
    }
}
