using Prometheus;

namespace Runai.Controllers.Overseer;

/// <summary>The <c>runai_overseer_*</c> series: passes, preemptions chosen and evictions made.</summary>
internal static class OverseerMetrics
{
    public static readonly Histogram PassDuration = Metrics.CreateHistogram(
        "runai_overseer_pass_duration_seconds", "Time one victim search took (snapshot and decisions), in seconds.",
        new HistogramConfiguration { Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    public static readonly Counter Preemptions = Metrics.CreateCounter(
        "runai_overseer_preemptions_total", "Workloads evicted whole, by kind (reclaim: another project's guaranteed quota; priority: higher-priority work of the same project).",
        new CounterConfiguration { LabelNames = ["kind"] });

    public static readonly Counter Evictions = Metrics.CreateCounter(
        "runai_overseer_evictions_total", "Pod evictions asked of the API, by result (evicted, refused for a disruption budget, failed).",
        new CounterConfiguration { LabelNames = ["result"] });

    static OverseerMetrics()
    {
        foreach (var kind in (string[])["reclaim", "priority"]) Preemptions.WithLabels(kind);
        foreach (var result in (string[])["evicted", "refused", "failed"]) Evictions.WithLabels(result);
    }

    public static void Register() => PassDuration.Observe(0);
}
