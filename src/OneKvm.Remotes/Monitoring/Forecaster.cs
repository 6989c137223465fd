namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The forecast model: Holt's linear trend with a damped trend (additive exponential
/// smoothing), its two smoothing weights and its damping picked per series from a small
/// grid by the least one-step-ahead squared error over the lookback window, the forecast
/// clipped at 0 (every metric is a non-negative level or rate). Samples are taken as
/// equally spaced, one per monitor interval (what the probe writes); the horizon is the
/// window's period in monitor intervals. Damping (at most 0.98) bounds what a trend adds
/// to 49 steps of it, so a far horizon (days) does not run away with a short ramp. Errors on
/// synthetic and recorded series beside a last-value forecast: Monitoring/README.md.
/// </summary>
internal static class Forecaster
{
    /// <summary>The fewest history samples a forecast is made from.</summary>
    public const int MinimumSamples = 5;

    private static readonly double[] Dampings = [0.9, 0.95, 0.98];
    private static readonly double[] LevelWeights = [0.2, 0.4, 0.6, 0.8, 1.0];
    private static readonly double[] TrendWeights = [0.0, 0.1, 0.3];

    /// <summary>The value <paramref name="steps"/> samples after the last one; null for fewer than <paramref name="minimum"/> samples.</summary>
    public static double? Forecast(IReadOnlyList<double> series, int steps, int minimum = MinimumSamples)
    {
        if (series.Count < Math.Max(2, minimum) || steps < 1)
        {
            return null;
        }
        var best = (Error: double.PositiveInfinity, Level: 0.0, Trend: 0.0, Phi: 0.0);
        foreach (var phi in Dampings)
        {
            foreach (var alpha in LevelWeights)
            {
                foreach (var beta in TrendWeights)
                {
                    var (error, level, trend) = Fit(series, alpha, beta, phi);
                    if (error < best.Error)
                    {
                        best = (error, level, trend, phi);
                    }
                }
            }
        }
        // sum of phi^i for i = 1..steps
        var damped = best.Phi * (1 - Math.Pow(best.Phi, steps)) / (1 - best.Phi);
        var value = best.Level + damped * best.Trend;
        return double.IsFinite(value) ? Math.Max(0, value) : null;
    }

    /// <summary>The rates per second between consecutive counter samples; a counter that went backwards (a restart) or a repeated time gives none.</summary>
    public static List<double> Rates(IReadOnlyList<MetricPoint> counter)
    {
        var rates = new List<double>(counter.Count);
        for (var i = 1; i < counter.Count; i++)
        {
            var seconds = counter[i].Timestamp - counter[i - 1].Timestamp;
            var grown = counter[i].Value - counter[i - 1].Value;
            if (seconds > 0 && grown >= 0)
            {
                rates.Add(grown / seconds);
            }
        }
        return rates;
    }

    private static (double Error, double Level, double Trend) Fit(IReadOnlyList<double> y, double alpha, double beta, double phi)
    {
        var level = y[0];
        var trend = y[1] - y[0];
        var error = 0.0;
        for (var t = 1; t < y.Count; t++)
        {
            var predicted = level + phi * trend;
            var miss = y[t] - predicted;
            error += miss * miss;
            var previous = level;
            level = predicted + alpha * miss;
            trend = phi * trend + beta * (level - previous - phi * trend);
        }
        return (error, level, trend);
    }
}
