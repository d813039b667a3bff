namespace Runai.Bench;

/// <summary>Nearest-rank percentiles of a sample, in the unit it was recorded in.</summary>
internal static class Percentiles
{
    public static double Of(IReadOnlyList<double> sorted, double percentile)
    {
        if (sorted.Count == 0)
        {
            throw new ArgumentException("no samples to take a percentile of", nameof(sorted));
        }

        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    /// <summary>{"p50":…,"p99":…,"max":…} rounded to 0.01.</summary>
    public static System.Text.Json.Nodes.JsonObject Summary(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToList();
        return new()
        {
            ["p50"] = Math.Round(Of(sorted, 50), 2),
            ["p99"] = Math.Round(Of(sorted, 99), 2),
            ["max"] = Math.Round(sorted[^1], 2),
        };
    }
}
