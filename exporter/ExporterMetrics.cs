using Prometheus;

namespace Runai.Exporter;

/// <summary>The exporter's own health (<c>runai_exporter_*</c>), kept in prometheus-net's default registry.</summary>
internal static class ExporterMetrics
{
    public static readonly Gauge Objects = Metrics.CreateGauge(
        "runai_exporter_objects", "API objects the exporter tracks, by kind, in objects.", "kind");

    public static readonly Gauge Series = Metrics.CreateGauge(
        "runai_exporter_series", "Series the exporter serves, by the kind of object that feeds them, in series.", "kind");

    public static readonly Counter WatchRestarts = Metrics.CreateCounter(
        "runai_exporter_watch_restarts_total", "Times a watch of the API was restarted, by resource and reason.", "resource", "reason");

    public static readonly Histogram EventToSeries = Metrics.CreateHistogram(
        "runai_exporter_event_to_series_seconds", "Seconds from an informer receiving a change to its series being updated, by kind.",
        new HistogramConfiguration
        {
            LabelNames = ["kind"],
            Buckets = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
        });

    public static readonly Histogram ScrapeDuration = Metrics.CreateHistogram(
        "runai_exporter_scrape_duration_seconds", "Seconds to write the workload series of one /metrics response, by format and content encoding (gzip includes compressing).",
        new HistogramConfiguration
        {
            LabelNames = ["format", "encoding"],
            Buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        });

    public static readonly Gauge ScrapeBytes = Metrics.CreateGauge(
        "runai_exporter_last_scrape_bytes", "Size of the last /metrics response's workload series before any compression, in bytes.");

    public static readonly Counter LabelValuesBounded = Metrics.CreateCounter(
        "runai_exporter_label_values_bounded_total",
        "Label values changed before they were written, by reason: truncated (too long), invalid_unicode, control_character.", "reason");

    public static readonly Gauge InvalidAnnotations = Metrics.CreateGauge(
        "runai_exporter_invalid_annotations",
        "Workloads whose annotation holds a value that cannot be read (the exporter falls back to what pods and spec say), by annotation, in workloads.",
        "annotation");

    public static readonly Counter ObjectErrors = Metrics.CreateCounter(
        "runai_exporter_object_errors_total", "API objects the exporter could not read, by kind; their last good series are kept.", "kind");

    public static readonly Gauge Synced = Metrics.CreateGauge(
        "runai_exporter_synced", "1 once every watch has its first full list in (the leader serves workload series), 0 otherwise.");
}
