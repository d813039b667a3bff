using Runai.Core;
using Runai.Core.Workloads;

namespace Runai.Exporter.Model;

/// <summary>What a workload's current pods add up to (maintained by <see cref="ClusterModel"/>).</summary>
internal sealed record PodTally
{
    public static readonly PodTally Empty = new();

    public int Pending { get; init; }
    public int Running { get; init; }
    public int Succeeded { get; init; }
    public int Failed { get; init; }
    public GpuQuantity AllocatedGpus { get; init; }
    public long AllocatedGpuMemoryMiB { get; init; }
    /// <summary>Scheduled, unfinished pods other than an MPIJob's launcher, and when the last of them was scheduled.</summary>
    public int ScheduledPods { get; init; }
    public DateTimeOffset? LastScheduledAt { get; init; }
    public DateTimeOffset? LauncherScheduledAt { get; init; }
    public DateTimeOffset? FirstRunningSince { get; init; }
    public string? ProjectLabel { get; init; }

    /// <summary>Adds up pods; <paramref name="nodeGpuMemoryMiB"/> gives a node's memory per GPU (null when unknown).</summary>
    public static PodTally Of(IEnumerable<PodFacts> pods, Func<string, long?> nodeGpuMemoryMiB)
    {
        int pending = 0, running = 0, succeeded = 0, failed = 0, scheduled = 0;
        var gpus = GpuQuantity.Zero;
        var memory = 0L;
        DateTimeOffset? lastScheduled = null, firstRunning = null, launcherScheduled = null;
        string? project = null;
        foreach (var pod in pods)
        {
            switch (pod.Phase)
            {
                case "Running": running++; break;
                case "Succeeded": succeeded++; break;
                case "Failed": failed++; break;
                case "Pending": pending++; break;
            }

            project ??= pod.ProjectLabel;
            if (pod.HoldsGpus)
            {
                gpus += pod.Gpus.Gpus;
                memory += pod.Gpus.MemoryMiB ?? (long)Math.Round(pod.Gpus.Gpus.ToDouble() * (nodeGpuMemoryMiB(pod.Node!) ?? 0));
            }

            if (pod.ScheduledAt is { } launcherAt && pod.IsLauncher)
            {
                launcherScheduled = launcherAt;
            }
            else if (pod.ScheduledAt is { } at && pod.Phase is not ("Succeeded" or "Failed"))
            {
                scheduled++;
                if (lastScheduled is null || at > lastScheduled) lastScheduled = at;
            }

            if (pod.RunningSince is { } since && (firstRunning is null || since < firstRunning)) firstRunning = since;
        }

        return new PodTally
        {
            Pending = pending, Running = running, Succeeded = succeeded, Failed = failed,
            AllocatedGpus = gpus, AllocatedGpuMemoryMiB = memory, ScheduledPods = scheduled,
            LastScheduledAt = lastScheduled, LauncherScheduledAt = launcherScheduled, FirstRunningSince = firstRunning, ProjectLabel = project,
        };
    }
}

/// <summary>A clock-driven value: <see cref="Seconds"/> now, growing from <see cref="Since"/> when that is set.</summary>
internal readonly record struct Duration(double Seconds, DateTimeOffset? Since)
{
    public static Duration Fixed(DateTimeOffset from, DateTimeOffset to) => new(Math.Max(0, (to - from).TotalSeconds), null);

    public static Duration Growing(DateTimeOffset from) => new(0, from);
}

/// <summary>
/// The values of one workload's series, decided from its object (annotations first), its pods, its pod group and its
/// project. Pure: the same inputs give the same view.
/// </summary>
internal sealed record WorkloadView
{
    public const double BytesPerMiB = 1024 * 1024;

    public required WorkloadRef Ref { get; init; }
    public string Project { get; init; } = "";
    /// <summary>The status, or null when nothing says it yet (every state of the state set is then 0).</summary>
    public string? Status { get; init; }
    public GpuQuantity AllocatedGpus { get; init; }
    public double AllocatedGpuMemoryBytes { get; init; }
    public GpuQuantity RequestedGpus { get; init; }
    public int Preemptions { get; init; }
    public Duration Runtime { get; init; }
    public Duration QueueTime { get; init; }
    public required PodTally Pods { get; init; }
    public string User { get; init; } = "";
    public string NodePool { get; init; } = "";
    public string PriorityClass { get; init; } = "";

    public static WorkloadView Of(WorkloadFacts facts, PodTally pods, PodGroupFacts? group, string? project) => new()
    {
        Ref = facts.Ref,
        Project = project ?? pods.ProjectLabel ?? group?.Queue ?? "",
        Status = facts.Status,
        AllocatedGpus = facts.AllocatedGpus ?? pods.AllocatedGpus,
        AllocatedGpuMemoryBytes = (facts.AllocatedGpuMemoryMiB ?? pods.AllocatedGpuMemoryMiB) * BytesPerMiB,
        RequestedGpus = facts.RequestedGpus ?? facts.SpecGpus,
        Preemptions = facts.Preemptions ?? group?.Preemptions ?? 0,
        Runtime = RuntimeOf(facts, pods),
        QueueTime = QueueTimeOf(facts, pods, group),
        Pods = pods,
        User = facts.User,
        NodePool = facts.NodePool.Length > 0 ? facts.NodePool : group?.NodePool ?? "",
        PriorityClass = facts.PriorityClass,
    };

    /// <summary>
    /// From status.startTime (else its earliest running pod) to status.completionTime, or to when its Running condition
    /// turned False; growing while the status is Running or Degraded. Zero before it ever ran.
    /// </summary>
    internal static Duration RuntimeOf(WorkloadFacts facts, PodTally pods)
    {
        if ((facts.Started ?? pods.FirstRunningSince) is not { } start) return default;
        var running = facts.Status is WorkloadStatus.Running or WorkloadStatus.Degraded || (facts.Status is null && pods.Running > 0);
        if (facts.Completed is { } completed) return Duration.Fixed(start, completed);
        if (running) return Duration.Growing(start);
        return Duration.Fixed(start, facts.StoppedRunning ?? start);
    }

    /// <summary>When the last gang member of the current pods was scheduled (the launcher only when it is a member).</summary>
    private static DateTimeOffset? GangPlacedAt(WorkloadFacts facts, PodTally pods)
    {
        var members = pods.ScheduledPods + (facts.LauncherInGang && pods.LauncherScheduledAt is not null ? 1 : 0);
        if (members < Math.Max(1, facts.GangSize)) return null;
        if (facts.LauncherInGang && pods.LauncherScheduledAt is { } launcher && (pods.LastScheduledAt is not { } last || launcher > last)) return launcher;
        return pods.LastScheduledAt;
    }

    /// <summary>
    /// From creation to when the whole gang was placed: the pod group's scheduledTime, else the workload's Scheduled
    /// condition, else the last of its gang's pods to be scheduled, else its start. Growing while it waits; fixed at
    /// completion for a workload that ended without ever being placed.
    /// </summary>
    internal static Duration QueueTimeOf(WorkloadFacts facts, PodTally pods, PodGroupFacts? group)
    {
        if (facts.Created is not { } created) return default;
        var placed = group?.ScheduledTime ?? facts.Scheduled ?? GangPlacedAt(facts, pods) ?? facts.Started;
        if (placed is { } at) return Duration.Fixed(created, at);
        if (facts.Status is WorkloadStatus.Completed or WorkloadStatus.Failed or WorkloadStatus.Stopped or WorkloadStatus.Deleting)
            return Duration.Fixed(created, facts.Completed ?? created);
        return Duration.Growing(created);
    }
}
