using System.Globalization;
using k8s.Models;
using Runai.Core.Resources;

namespace Runai.Core.Workloads;

/// <summary>
/// The <c>runai-*</c> annotation values of one workload (SPEC §3), computed from a <see cref="WorkloadObservation"/>.
/// Pure: the same observation always gives the same values, so workload-controller, the CLI and the tests agree.
/// </summary>
public sealed record WorkloadState(
    string Status,
    int PendingPods,
    int RunningPods,
    GpuQuantity AllocatedGpus,
    long AllocatedGpuMemoryMiB,
    GpuQuantity RequestedGpus,
    GpuQuantity TotalRequestedGpus,
    GpuQuantity PodGroupRequestedGpus,
    long PodGroupRequestedGpuMemoryMiB,
    IReadOnlyList<string> UsedNodes,
    string? PendingReason)
{
    /// <summary>Computes the state: the status by <see cref="Calculate"/>, the counts over the counted pods, GPUs over every pod.</summary>
    public static WorkloadState Of(WorkloadObservation o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var counted = o.CountedPods.ToList();
        var status = Calculate(o);
        var allocated = GpuQuantity.Zero;
        var requested = GpuQuantity.Zero;
        var memory = 0L;
        foreach (var pod in o.Pods)
        {
            if (IsTerminal(pod)) continue;
            var gpus = PodGpus.Of(pod);
            requested += gpus.Gpus;
            if (!IsBound(pod)) continue;
            allocated += gpus.Gpus;
            memory += AllocatedMemory(gpus, o.NodeGpuMemoryMiB(pod.Spec!.NodeName));
        }

        var waits = status is WorkloadStatus.Creating or WorkloadStatus.Pending or WorkloadStatus.Degraded
            && o.PodGroupScheduled is { Status: ConditionStatus.False } scheduled;
        return new WorkloadState(
            status,
            counted.Count(IsPending),
            counted.Count(IsRunning),
            allocated,
            memory,
            requested,
            o.Gang.TotalGpus,
            o.Gang.GangGpus,
            o.Gang.GangGpuMemoryMiB,
            counted.Where(IsBound).Select(p => p.Spec!.NodeName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            waits ? PendingReasonText(o.PodGroupScheduled!) : null);
    }

    /// <summary>
    /// The status rules of SPEC §3, first match wins: deletion → Deleting; the owner's finished condition
    /// (Failed, Completed); suspended → Stopped; then from the counted pods: none yet → Creating (Pending after
    /// having run); every member running or done (the owner says when it ends) → Running; some running after having run → Degraded;
    /// every member exists and is scheduled but containers are starting → Initializing; otherwise Pending.
    /// </summary>
    public static string Calculate(WorkloadObservation o)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (o.Deleting) return WorkloadStatus.Deleting;
        switch (o.Outcome)
        {
            case WorkloadOutcome.Failed: return WorkloadStatus.Failed;
            case WorkloadOutcome.Succeeded: return WorkloadStatus.Completed;
        }

        if (o.Suspended) return WorkloadStatus.Stopped;
        var expected = Math.Max(0, o.ExpectedPods);
        var counted = o.CountedPods.ToList();
        var live = counted.Where(p => !IsTerminal(p)).ToList();
        // Scaled to nothing (an inference workload with zero replicas): nothing runs and nothing is asked to.
        if (expected == 0) return live.Count == 0 ? WorkloadStatus.Stopped : WorkloadStatus.Running;
        if (counted.Count == 0) return o.EverRan ? WorkloadStatus.Pending : WorkloadStatus.Creating;

        var running = live.Count(IsRunning);
        var done = counted.Count(p => Phase(p) == "Succeeded");
        if (running + done >= expected) return WorkloadStatus.Running;
        if (running > 0 && o.EverRan) return WorkloadStatus.Degraded;
        if (live.Count + done >= expected && live.All(IsBound) && live.Count > 0) return WorkloadStatus.Initializing;
        return WorkloadStatus.Pending;
    }

    /// <summary>The annotations as SPEC §3 spells them; <see cref="RunaiAnnotations.PendingReason"/> is null when nothing waits (remove it).</summary>
    public IReadOnlyDictionary<string, string?> ToAnnotations() => new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        [RunaiAnnotations.CalculatedStatus] = Status,
        [RunaiAnnotations.PendingPods] = Text(PendingPods),
        [RunaiAnnotations.RunningPods] = Text(RunningPods),
        [RunaiAnnotations.CurrentAllocatedGpus] = AllocatedGpus.ToString(),
        [RunaiAnnotations.CurrentAllocatedGpusMemory] = Text(AllocatedGpuMemoryMiB),
        [RunaiAnnotations.CurrentRequestedGpus] = RequestedGpus.ToString(),
        [RunaiAnnotations.TotalRequestedGpus] = TotalRequestedGpus.ToString(),
        [RunaiAnnotations.PodGroupRequestedGpus] = PodGroupRequestedGpus.ToString(),
        [RunaiAnnotations.PodGroupRequestedGpusMemory] = Text(PodGroupRequestedGpuMemoryMiB),
        [RunaiAnnotations.UsedNodes] = string.Join(RunaiAnnotations.UsedNodesSeparator, UsedNodes),
        [RunaiAnnotations.PendingReason] = PendingReason,
    };

    /// <summary>
    /// The annotation changes that bring <paramref name="current"/> in line (null value = remove), for a merge patch;
    /// empty when they already agree, so an unchanged workload is not written.
    /// </summary>
    public IReadOnlyDictionary<string, string?> ChangesFrom(IDictionary<string, string>? current)
    {
        var changes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in ToAnnotations())
        {
            string? existing = null;
            var present = current?.TryGetValue(key, out existing) == true;
            if (value is null ? present : !present || existing != value) changes[key] = value;
        }

        return changes;
    }

    /// <summary>"&lt;Reason&gt;: &lt;message&gt;" from the pod group's Scheduled=False condition.</summary>
    public static string PendingReasonText(ResourceCondition scheduled) =>
        string.IsNullOrWhiteSpace(scheduled.Message) ? scheduled.Reason ?? "Unknown" : $"{scheduled.Reason ?? "Unknown"}: {scheduled.Message}";

    /// <summary>MiB a bound pod holds: each whole GPU counts its node's memory (0 without the label); a fraction its share; a memory request its MiB.</summary>
    private static long AllocatedMemory(PodGpuRequest gpus, long? nodeMemory)
    {
        if (gpus.MemoryMiB is { } mib) return mib;
        if (nodeMemory is not { } perGpu) return 0;
        return (long)decimal.Floor(gpus.Gpus.Value * perGpu);
    }

    private static string? Phase(V1Pod pod) => pod.Status?.Phase;

    internal static bool IsTerminal(V1Pod pod) => Phase(pod) is "Succeeded" or "Failed";

    internal static bool IsRunning(V1Pod pod) => Phase(pod) == "Running";

    /// <summary>Not yet running: unscheduled, or scheduled with containers starting.</summary>
    internal static bool IsPending(V1Pod pod) => Phase(pod) is null or "" or "Pending";

    internal static bool IsBound(V1Pod pod) => !string.IsNullOrEmpty(pod.Spec?.NodeName);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
