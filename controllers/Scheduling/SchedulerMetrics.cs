using Prometheus;
using Runai.Core;

namespace Runai.Controllers.Scheduling;

/// <summary>The <c>runai_scheduler_*</c> series (SPEC §4): cycle durations, placements, waiting workloads by reason.</summary>
internal static class SchedulerMetrics
{
    public static readonly Histogram CycleDuration = Metrics.CreateHistogram(
        "runai_scheduler_cycle_duration_seconds", "Time one scheduling cycle took (snapshot, decisions and binding), in seconds.",
        new HistogramConfiguration { Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    public static readonly Histogram DecisionDuration = Metrics.CreateHistogram(
        "runai_scheduler_decision_duration_seconds", "Time the pure decision part of a cycle took (no API calls), in seconds.",
        new HistogramConfiguration { Buckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });

    public static readonly Counter Placements = Metrics.CreateCounter(
        "runai_scheduler_placements_total", "Pods bound to nodes (result=bound) or whose binding the API refused (result=failed).",
        new CounterConfiguration { LabelNames = ["result"] });

    public static readonly Counter GangsPlaced = Metrics.CreateCounter(
        "runai_scheduler_gangs_placed_total", "Workloads whose whole gang was placed.");

    public static readonly Gauge PendingWorkloads = Metrics.CreateGauge(
        "runai_scheduler_pending_workloads", "Workloads waiting to be placed, by pending reason code.",
        new GaugeConfiguration { LabelNames = ["reason"] });

    public static readonly Counter Cycles = Metrics.CreateCounter(
        "runai_scheduler_cycles_total", "Scheduling cycles run, by outcome (ok, error).",
        new CounterConfiguration { LabelNames = ["outcome"] });

    static SchedulerMetrics()
    {
        foreach (var reason in PendingReasons.All) PendingWorkloads.WithLabels(reason).Set(0);
        Placements.WithLabels("bound");
        Placements.WithLabels("failed");
        Cycles.WithLabels("ok");
        Cycles.WithLabels("error");
    }

    /// <summary>Touches the class so every series exists from the start (zero rather than absent).</summary>
    public static void Register() => GangsPlaced.Inc(0);
}
