using System.Globalization;
using System.Runtime.CompilerServices;
using OneKvm.Remotes.Monitoring;
using Xunit;
using Xunit.Abstractions;

namespace OneKvm.Remotes.Specs.Monitoring;

/// <summary>
/// The forecast model against a last-value forecast, on synthetic series and on series
/// recorded on a busy host (Recorded/host.csv). The table it prints is the one in
/// Monitoring/README.md.
/// </summary>
public sealed class ForecasterSpecs(ITestOutputHelper output)
{
    // forecast.conf's shipped near window at a 30 s monitor interval: 5 minutes ahead over 60 minutes
    private const int Steps = 10;
    private const int Lookback = 120;

    [Fact]
    public void Nothing_is_forecast_from_fewer_than_five_samples()
    {
        Assert.Null(Forecaster.Forecast([1, 2, 3, 4], Steps));
        Assert.NotNull(Forecaster.Forecast([1, 2, 3, 4, 5], Steps));
    }

    [Fact]
    public void A_flat_series_is_forecast_flat_and_a_forecast_is_never_negative()
    {
        Assert.Equal(42, Forecaster.Forecast([42, 42, 42, 42, 42, 42], Steps));
        Assert.Equal(0, Forecaster.Forecast([50, 40, 30, 20, 10, 0], 100));
    }

    [Fact]
    public void A_damped_trend_goes_on_for_a_while_and_then_levels_off()
    {
        double[] ramp = [10, 20, 30, 40, 50, 60, 70, 80];

        var next = Forecaster.Forecast(ramp, 1)!.Value;
        var far = Forecaster.Forecast(ramp, 10_000)!.Value;

        Assert.InRange(next, 85, 90);
        // at most 49 more steps of the trend, however far ahead
        Assert.InRange(far, 100, 80 + 49 * 10 + 1);
    }

    [Fact]
    public void Counter_rates_skip_a_restart_and_a_repeated_time()
    {
        var rates = Forecaster.Rates([new(0, 100), new(30, 400), new(30, 500), new(60, 10), new(90, 310)]);

        Assert.Equal([10.0, 10.0], rates);
    }

    public static TheoryData<string> Series => new() { "flat", "trend", "daily cycle", "step", "recorded host CPU", "recorded host memory" };

    [Theory]
    [MemberData(nameof(Series))]
    public void Its_error_beside_a_last_value_forecast(string name)
    {
        var series = Load(name);

        var (model, lastValue) = Errors(series);

        output.WriteLine($"| {name} | {series.Count} | {model:0.###} | {lastValue:0.###} | {(lastValue > 0 ? (model / lastValue).ToString("0.00", CultureInfo.InvariantCulture) : "-")} |");
        switch (name)
        {
            case "flat":
                Assert.Equal(0, model, 9);
                break;
            case "trend":
                Assert.True(model < lastValue / 2, $"{model} vs {lastValue}");
                break;
            case "daily cycle":
                // 5 minutes of a daily cycle move it less than its noise: smoothing is what helps
                Assert.True(model < lastValue, $"{model} vs {lastValue}");
                break;
            default:
                // a step and noise: no trend to find; the model must not do much worse than repeating the last value
                Assert.True(model < lastValue * 1.5, $"{model} vs {lastValue}");
                break;
        }
    }

    /// <summary>Mean absolute error <see cref="Steps"/> samples ahead from every origin with a full lookback window.</summary>
    private static (double Model, double LastValue) Errors(IReadOnlyList<double> series)
    {
        double model = 0, last = 0;
        var count = 0;
        for (var origin = Forecaster.MinimumSamples; origin + Steps < series.Count; origin++)
        {
            var window = series.Skip(Math.Max(0, origin - Lookback)).Take(Math.Min(origin, Lookback)).ToList();
            var actual = series[origin - 1 + Steps];
            model += Math.Abs(Forecaster.Forecast(window, Steps)!.Value - actual);
            last += Math.Abs(window[^1] - actual);
            count++;
        }
        return (model / count, last / count);
    }

    private static List<double> Load(string name)
    {
        var random = new Random(15);
        double Noise(double scale) => (random.NextDouble() - 0.5) * scale;
        const int n = 600;
        return name switch
        {
            "flat" => [.. Enumerable.Repeat(25.0, n)],
            // memory leaking 40 KiB per 30 s sample with some jitter
            "trend" => [.. Enumerable.Range(0, n).Select(i => 1_000_000 + 40.0 * i + Noise(200))],
            // a day at 30 s per sample (2880 samples), the busy half of a day-long sine
            "daily cycle" => [.. Enumerable.Range(0, 2880).Select(i => 50 + 40 * Math.Sin(2 * Math.PI * i / 2880) + Noise(4))],
            "step" => [.. Enumerable.Range(0, n).Select(i => (i < n / 2 ? 10.0 : 70.0) + Noise(4))],
            "recorded host CPU" => Recorded(1),
            "recorded host memory" => Recorded(2),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    private static List<double> Recorded(int column, [CallerFilePath] string source = "") =>
        [.. File.ReadAllLines(Path.Combine(Path.GetDirectoryName(source)!, "Recorded", "host.csv")).Skip(1)
            .Select(l => double.Parse(l.Split(',')[column], CultureInfo.InvariantCulture))];
}
