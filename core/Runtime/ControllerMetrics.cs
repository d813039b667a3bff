using Prometheus;

namespace Runai.Core.Runtime;

/// <summary>
/// The <c>runai_controller_*</c> series every component exposes (SPEC §4), defined once. Labels are bounded:
/// the component, the controller (the kind it reconciles) and, for watches, the resource.
/// </summary>
public static class ControllerMetrics
{
    public static readonly Counter Reconciles = Metrics.CreateCounter(
        "runai_controller_reconciles_total", "Reconciles run, by outcome (success, error, requeue).",
        new CounterConfiguration { LabelNames = ["component", "controller", "outcome"] });

    public static readonly Counter ReconcileErrors = Metrics.CreateCounter(
        "runai_controller_reconcile_errors_total", "Reconciles that failed, by reason (forbidden, conflict, api, exception).",
        new CounterConfiguration { LabelNames = ["component", "controller", "reason"] });

    public static readonly Histogram ReconcileDuration = Metrics.CreateHistogram(
        "runai_controller_reconcile_duration_seconds", "Time spent in one reconcile, in seconds.",
        new HistogramConfiguration
        {
            LabelNames = ["component", "controller"],
            Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        });

    public static readonly Histogram EventToReconcile = Metrics.CreateHistogram(
        "runai_controller_event_to_reconcile_seconds", "Time from a watch event reaching the component to the start of the reconcile it caused, in seconds.",
        new HistogramConfiguration
        {
            LabelNames = ["component", "controller"],
            Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        });

    public static readonly Gauge QueueDepth = Metrics.CreateGauge(
        "runai_controller_queue_depth", "Keys waiting in the work queue (ready or delayed).",
        new GaugeConfiguration { LabelNames = ["component", "controller"] });

    public static readonly Counter WatchRestarts = Metrics.CreateCounter(
        "runai_controller_watch_restarts_total", "Watches re-opened, by reason (closed, error, expired for 410 Gone relists).",
        new CounterConfiguration { LabelNames = ["component", "resource", "reason"] });

    public static readonly Gauge CachedObjects = Metrics.CreateGauge(
        "runai_controller_cached_objects", "Objects held in a shared informer's cache.",
        new GaugeConfiguration { LabelNames = ["component", "resource"] });

    public static readonly Gauge Leader = Metrics.CreateGauge(
        "runai_controller_leader", "1 while this replica holds its component's leader lease, else 0.",
        new GaugeConfiguration { LabelNames = ["component"] });

    public static readonly Counter LeaderTransitions = Metrics.CreateCounter(
        "runai_controller_leader_transitions_total", "Times this replica gained or lost the lease.",
        new CounterConfiguration { LabelNames = ["component", "transition"] });

    public static readonly Counter ApiForbidden = Metrics.CreateCounter(
        "runai_controller_api_forbidden_total", "API requests answered 403 Forbidden (RBAC missing), by resource and verb.",
        new CounterConfiguration { LabelNames = ["component", "resource", "verb"] });
}
