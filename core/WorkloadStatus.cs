namespace Runai.Core;

/// <summary>
/// The values of <see cref="RunaiAnnotations.CalculatedStatus"/> and of a workload's <c>status.phase</c>.
/// Metrics use the lower-case form (<c>runai_workload_status{status="running"}</c>).
/// </summary>
public static class WorkloadStatus
{
    public const string Creating = "Creating";
    public const string Pending = "Pending";
    public const string Initializing = "Initializing";
    public const string Running = "Running";
    public const string Degraded = "Degraded";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
    public const string Stopped = "Stopped";
    public const string Deleting = "Deleting";

    /// <summary>The nine values in lifecycle order.</summary>
    public static readonly IReadOnlyList<string> All =
        [Creating, Pending, Initializing, Running, Degraded, Completed, Failed, Stopped, Deleting];

    /// <summary>The nine values as metric label values, in the same order as <see cref="All"/>.</summary>
    public static readonly IReadOnlyList<string> AllMetricValues = All.Select(ToMetricValue).ToArray();

    public static bool IsKnown(string? status) => status is not null && All.Contains(status, StringComparer.Ordinal);

    /// <summary>"Running" → "running": the label value of <c>runai_workload_status</c>.</summary>
    public static string ToMetricValue(string status) => status.ToLowerInvariant();

    /// <summary>A status that no longer changes by itself: the workload will not run again unless resubmitted.</summary>
    public static bool IsFinished(string? status) => status is Completed or Failed;
}
