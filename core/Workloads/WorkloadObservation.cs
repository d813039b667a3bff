using System.Globalization;
using k8s.Models;
using Runai.Core.Resources;

namespace Runai.Core.Workloads;

/// <summary>How the owning object says the workload ended, if it did.</summary>
public enum WorkloadOutcome
{
    /// <summary>Not finished (or the owner does not say).</summary>
    None,
    /// <summary>MPIJob <c>Succeeded</c>, a Job <c>Complete</c>, every worker done.</summary>
    Succeeded,
    /// <summary>MPIJob <c>Failed</c>, a Job <c>Failed</c>, retries exhausted.</summary>
    Failed,
}

/// <summary>
/// Everything the <c>runai-*</c> annotations and the calculated status of one workload are computed from: the
/// owner's state, its gang, its pods, their nodes' GPU memory and the scheduler's pod group condition. Built by
/// <see cref="For(MpiJob, IReadOnlyList{V1Pod}, Func{string, long?}, PodGroup?)"/> or
/// <see cref="For(IRunaiWorkload, IReadOnlyList{V1Pod}, Func{string, long?}, PodGroup?, WorkloadOutcome)"/>; pure data.
/// </summary>
public sealed record WorkloadObservation
{
    public required WorkloadKindInfo Kind { get; init; }

    /// <summary>The GPU shape of the spec (total, gang, gang memory).</summary>
    public required WorkloadGang Gang { get; init; }

    /// <summary>
    /// Pods the counts are over once all exist: the workers of a distributed workload (plus the launcher with
    /// <c>runLauncherAsWorker</c>), every pod otherwise.
    /// </summary>
    public required int ExpectedPods { get; init; }

    /// <summary>The workload's pods as they exist now (launcher included).</summary>
    public IReadOnlyList<V1Pod> Pods { get; init; } = [];

    public WorkloadOutcome Outcome { get; init; }

    /// <summary>The owner is suspended (MPIJob <c>Suspended</c> condition or <c>runPolicy.suspend</c>; <c>spec.suspend</c>).</summary>
    public bool Suspended { get; init; }

    /// <summary>The owner has a deletion timestamp.</summary>
    public bool Deleting { get; init; }

    /// <summary>The whole gang has run before (the last calculated status was Running or Degraded, or the owner says it ran).</summary>
    public bool EverRan { get; init; }

    /// <summary>MPIJob <c>runLauncherAsWorker</c>: the launcher counts among the workers.</summary>
    public bool LauncherCountsAsWorker { get; init; }

    /// <summary>MiB per GPU of a node, from its <c>nvidia.com/gpu.memory</c> label; null when the label is absent.</summary>
    public Func<string, long?> NodeGpuMemoryMiB { get; init; } = static _ => null;

    /// <summary>The pod group's <c>Scheduled</c> condition, if the scheduler has written one.</summary>
    public ResourceCondition? PodGroupScheduled { get; init; }

    /// <summary>The pods the counts and nodes are over (see <see cref="ExpectedPods"/>).</summary>
    public IEnumerable<V1Pod> CountedPods =>
        Kind.Distributed && !LauncherCountsAsWorker ? Pods.Where(p => !WorkloadIdentity.IsLauncher(p)) : Pods;

    /// <summary>The observation of an MPIJob: its conditions, <c>runPolicy</c>, gang and the pods the MPI operator made.</summary>
    public static WorkloadObservation For(MpiJob job, IReadOnlyList<V1Pod> pods, Func<string, long?> nodeGpuMemoryMiB, PodGroup? podGroup)
    {
        var status = job.Status;
        var finished = status?.FinishedCondition?.Type;
        var launcherAsWorker = job.Spec.RunLauncherAsWorker == true && job.Launcher is not null;
        var workers = Math.Max(0, job.Worker?.Replicas ?? 1);
        return new WorkloadObservation
        {
            Kind = WorkloadKinds.MpiJob,
            Gang = WorkloadGang.For(job),
            ExpectedPods = workers + (launcherAsWorker ? 1 : 0),
            Pods = pods,
            Outcome = finished switch
            {
                MpiJobConditionTypes.Succeeded => WorkloadOutcome.Succeeded,
                MpiJobConditionTypes.Failed => WorkloadOutcome.Failed,
                _ => WorkloadOutcome.None,
            },
            Suspended = job.Spec.RunPolicy?.Suspend == true || status?.HasTrueCondition(MpiJobConditionTypes.Suspended) == true,
            Deleting = job.Metadata.DeletionTimestamp is not null,
            EverRan = RanBefore(job.Metadata) || status?.HasTrueCondition(MpiJobConditionTypes.Running) == true,
            LauncherCountsAsWorker = launcherAsWorker,
            NodeGpuMemoryMiB = nodeGpuMemoryMiB,
            PodGroupScheduled = ScheduledCondition(podGroup),
        };
    }

    /// <summary>The observation of a Run:ai workload; <paramref name="outcome"/> comes from the objects it owns (its Job, its pods).</summary>
    public static WorkloadObservation For(IRunaiWorkload workload, IReadOnlyList<V1Pod> pods, Func<string, long?> nodeGpuMemoryMiB, PodGroup? podGroup, WorkloadOutcome outcome)
    {
        var expected = workload switch
        {
            TrainingWorkload t => Math.Max(1, t.Spec.Workers),
            InferenceWorkload i => Math.Max(0, i.Spec.Replicas),
            _ => 1,
        };
        return new WorkloadObservation
        {
            Kind = workload.KindInfo,
            Gang = WorkloadGang.For(workload),
            ExpectedPods = expected,
            Pods = pods,
            Outcome = outcome,
            Suspended = workload.CommonSpec.Suspend,
            Deleting = workload.Metadata.DeletionTimestamp is not null,
            EverRan = RanBefore(workload.Metadata) || workload.Status?.Phase is WorkloadStatus.Running or WorkloadStatus.Degraded,
            NodeGpuMemoryMiB = nodeGpuMemoryMiB,
            PodGroupScheduled = ScheduledCondition(podGroup),
        };
    }

    /// <summary>MiB per GPU from a node's <c>nvidia.com/gpu.memory</c> label; null when absent or not a positive number.</summary>
    public static long? GpuMemoryOf(V1Node? node) =>
        node?.Metadata?.Labels is { } labels && labels.TryGetValue(GpuLabels.Memory, out var text)
        && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var mib) && mib > 0
            ? mib
            : null;

    private static bool RanBefore(V1ObjectMeta meta) =>
        meta.Annotations?.TryGetValue(RunaiAnnotations.CalculatedStatus, out var previous) == true
        && previous is WorkloadStatus.Running or WorkloadStatus.Degraded;

    private static ResourceCondition? ScheduledCondition(PodGroup? podGroup) =>
        podGroup?.Status?.Conditions.Find(PodGroupConditionTypes.Scheduled);
}
