namespace Runai.Core;

/// <summary>A Run:ai PriorityClass: its name, value, and whether workloads using it may be preempted.</summary>
public sealed record PriorityClassInfo(string Name, int Value, bool Preemptible);

/// <summary>
/// The Run:ai priority classes (KAI-Scheduler values). At <see cref="NonPreemptibleThreshold"/> and above
/// a workload is never preempted and may only use GPUs within its project's quota.
/// </summary>
public static class PriorityClasses
{
    public const string Train = "train";
    public const string BuildPreemptible = "build-preemptible";
    public const string Build = "build";
    public const string Inference = "inference";

    public const int TrainValue = 50;
    public const int BuildPreemptibleValue = 75;
    public const int BuildValue = 100;
    public const int InferenceValue = 125;

    /// <summary>Priorities at or above this value are non-preemptible.</summary>
    public const int NonPreemptibleThreshold = 100;

    /// <summary>Lowest first.</summary>
    public static readonly IReadOnlyList<PriorityClassInfo> All =
    [
        new(Train, TrainValue, Preemptible: true),
        new(BuildPreemptible, BuildPreemptibleValue, Preemptible: true),
        new(Build, BuildValue, Preemptible: false),
        new(Inference, InferenceValue, Preemptible: false),
    ];

    public static bool IsPreemptible(int priorityValue) => priorityValue < NonPreemptibleThreshold;

    /// <summary>Finds a Run:ai priority class by name; null for other PriorityClasses.</summary>
    public static PriorityClassInfo? Find(string? name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));
}
