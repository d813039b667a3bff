using System.Globalization;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Workloads;

namespace Runai.Exporter.Model;

/// <summary>
/// What the exporter reads from one workload object (any of the five kinds): its annotations (SPEC §3, written by
/// workload-controller and workload-overseer) and the few spec and status fields the time series need. Values that are
/// absent or unreadable are null here; <see cref="InvalidAnnotations"/> names the unreadable ones.
/// </summary>
internal sealed record WorkloadFacts
{
    /// <summary>Label on workloads naming the submitting user (the runai CLI sets it).</summary>
    public const string UserLabel = "user";

    public required WorkloadRef Ref { get; init; }
    public DateTimeOffset? Created { get; init; }
    /// <summary>One of <see cref="WorkloadStatus.All"/>, or null when neither the annotation nor the status says.</summary>
    public string? Status { get; init; }
    public GpuQuantity? AllocatedGpus { get; init; }
    public long? AllocatedGpuMemoryMiB { get; init; }
    public GpuQuantity? RequestedGpus { get; init; }
    public int? Preemptions { get; init; }
    /// <summary>GPUs the spec asks for and gang size, from core's <see cref="WorkloadGang"/>: used when annotations are missing.</summary>
    public GpuQuantity SpecGpus { get; init; }
    public int GangSize { get; init; } = 1;
    /// <summary>For MPIJobs: the launcher is a gang member (AtStartup), so the gang is placed only once it is too.</summary>
    public bool LauncherInGang { get; init; }
    public string User { get; init; } = "";
    public string PriorityClass { get; init; } = "";
    public string NodePool { get; init; } = "";
    /// <summary>When its first pod started running (status.startTime).</summary>
    public DateTimeOffset? Started { get; init; }
    /// <summary>When it completed or failed (status.completionTime).</summary>
    public DateTimeOffset? Completed { get; init; }
    /// <summary>When it last stopped running without finishing (its Running condition turned False).</summary>
    public DateTimeOffset? StoppedRunning { get; init; }
    /// <summary>When the whole gang was placed, from the workload's own Scheduled condition.</summary>
    public DateTimeOffset? Scheduled { get; init; }
    /// <summary>Annotations present with a value that cannot be read (e.g. <c>runai-current-allocated-gpus: lots</c>).</summary>
    public IReadOnlyList<string> InvalidAnnotations { get; init; } = [];

    public string Key => Keys.Workload(Ref);

    public static WorkloadFacts From(IRunaiWorkload workload)
    {
        var meta = workload.Metadata;
        var status = workload.Status;
        var conditions = status?.Conditions;
        var gang = WorkloadGang.For(workload);
        var running = conditions.Find(WorkloadConditionTypes.Running);
        var scheduled = conditions.Find(WorkloadConditionTypes.Scheduled);
        return FromAnnotations(new WorkloadRef(workload.KindInfo.Kind, meta.NamespaceProperty ?? "", meta.Name ?? ""), meta, status?.Phase) with
        {
            SpecGpus = gang.TotalGpus,
            GangSize = gang.MinMember,
            PriorityClass = workload.CommonSpec.PriorityClassName ?? "",
            NodePool = workload.CommonSpec.NodePools?.FirstOrDefault() ?? "",
            Started = Utc(status?.StartTime),
            Completed = Utc(status?.CompletionTime),
            StoppedRunning = running is { IsTrue: false } ? Utc(running.LastTransitionTime) : null,
            Scheduled = scheduled is { IsTrue: true } ? Utc(scheduled.LastTransitionTime) : null,
        };
    }

    public static WorkloadFacts From(MpiJob job)
    {
        var meta = job.Metadata;
        var conditions = job.Status?.Conditions ?? [];
        // Only a finished condition on the MPIJob itself is a status on its own; the rest is workload-controller's to say.
        string? phase = null;
        if (conditions.Any(c => c.Type == MpiJobConditionTypes.Succeeded && c.Status == ConditionStatus.True)) phase = WorkloadStatus.Completed;
        else if (conditions.Any(c => c.Type == MpiJobConditionTypes.Failed && c.Status == ConditionStatus.True)) phase = WorkloadStatus.Failed;
        else if (conditions.Any(c => c.Type == MpiJobConditionTypes.Suspended && c.Status == ConditionStatus.True)) phase = WorkloadStatus.Stopped;
        var running = conditions.FirstOrDefault(c => c.Type == MpiJobConditionTypes.Running);
        var gang = WorkloadGang.For(job);
        var template = job.Worker?.Template.Spec ?? job.Launcher?.Template.Spec;
        return FromAnnotations(new WorkloadRef(MpiJob.KubeKind, meta.NamespaceProperty ?? "", meta.Name ?? ""), meta, phase) with
        {
            SpecGpus = gang.TotalGpus,
            GangSize = gang.MinMember,
            LauncherInGang = gang.LauncherInGang,
            PriorityClass = job.Spec.RunPolicy?.SchedulingPolicy?.PriorityClass ?? template?.PriorityClassName ?? "",
            NodePool = template?.NodeSelector.ValueOf(RunaiLabels.NodePool) ?? "",
            Started = Utc(job.Status?.StartTime),
            Completed = Utc(job.Status?.CompletionTime),
            StoppedRunning = running is { Status: ConditionStatus.False } ? Utc(running.LastTransitionTime) : null,
        };
    }

    private static WorkloadFacts FromAnnotations(WorkloadRef workload, V1ObjectMeta meta, string? phase)
    {
        var annotations = meta.Annotations ?? new Dictionary<string, string>();
        var invalid = new List<string>();
        string? status = null;
        if (annotations.TryGetValue(RunaiAnnotations.CalculatedStatus, out var calculated))
        {
            if (WorkloadStatus.IsKnown(calculated)) status = calculated;
            else invalid.Add(RunaiAnnotations.CalculatedStatus);
        }

        status ??= WorkloadStatus.IsKnown(phase) ? phase : null;
        return new WorkloadFacts
        {
            Ref = workload,
            Created = Utc(meta.CreationTimestamp),
            Status = status,
            AllocatedGpus = Gpus(annotations, RunaiAnnotations.CurrentAllocatedGpus, invalid),
            AllocatedGpuMemoryMiB = Count(annotations, RunaiAnnotations.CurrentAllocatedGpusMemory, invalid),
            RequestedGpus = Gpus(annotations, RunaiAnnotations.TotalRequestedGpus, invalid),
            Preemptions = (int?)Count(annotations, RunaiExtraAnnotations.Preemptions, invalid, int.MaxValue),
            User = meta.Labels.ValueOf(UserLabel) ?? annotations.ValueOf(UserLabel) ?? "",
            InvalidAnnotations = invalid,
        };
    }

    private static GpuQuantity? Gpus(IDictionary<string, string> annotations, string name, List<string> invalid)
    {
        if (!annotations.TryGetValue(name, out var text)) return null;
        if (GpuQuantity.TryParse(text, out var gpus)) return gpus;
        invalid.Add(name);
        return null;
    }

    private static long? Count(IDictionary<string, string> annotations, string name, List<string> invalid, long max = long.MaxValue / (1024 * 1024))
    {
        if (!annotations.TryGetValue(name, out var text)) return null;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value <= max) return value;
        invalid.Add(name);
        return null;
    }

    internal static DateTimeOffset? Utc(DateTime? time) =>
        time is { } t ? new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime()) : null;
}

/// <summary>Keys of the model's maps.</summary>
internal static class Keys
{
    public static string Workload(WorkloadRef workload) => $"{workload.Kind}/{workload.Namespace}/{workload.Name}";
}

internal static class DictionaryLookup
{
    /// <summary>The value under <paramref name="key"/>, or null (Kubernetes maps are <see cref="IDictionary{TKey,TValue}"/>s, often absent).</summary>
    public static string? ValueOf(this IDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value : null;
}
