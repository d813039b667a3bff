using System.Globalization;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Workloads;

namespace Runai.Cli.Views;

/// <summary>
/// One workload as <c>runai list jobs</c> and <c>describe job</c> show it. Values come from the <c>runai-*</c>
/// annotations workload-controller keeps; where it has not written them yet they are computed from the pods with
/// the same calculation it uses, so the CLI never shows a blank where the cluster has the facts.
/// </summary>
internal sealed record JobView(
    string Name,
    string Project,
    string Namespace,
    string Type,
    string Status,
    DateTime? Created,
    GpuQuantity AllocatedGpus,
    GpuQuantity RequestedGpus,
    long AllocatedGpuMemoryMiB,
    GpuQuantity PodGroupGpus,
    int RunningPods,
    int PendingPods,
    IReadOnlyList<string> Nodes,
    string? PendingReason,
    int? QueuePosition)
{
    public static JobView Of(WorkloadObject workload, string project, IReadOnlyList<V1Pod> pods, Func<string, long?> nodeGpuMemoryMiB, PodGroup? podGroup)
    {
        var observation = workload.Object switch
        {
            MpiJob job => WorkloadObservation.For(job, pods, nodeGpuMemoryMiB, podGroup),
            IRunaiWorkload w => WorkloadObservation.For(w, pods, nodeGpuMemoryMiB, podGroup, w.Status?.Phase switch
            {
                WorkloadStatus.Completed => WorkloadOutcome.Succeeded,
                WorkloadStatus.Failed => WorkloadOutcome.Failed,
                _ => WorkloadOutcome.None,
            }),
            _ => throw new ArgumentException($"{workload.Kind.Kind} is not a workload kind the CLI knows", nameof(workload)),
        };
        var computed = WorkloadState.Of(observation);
        IDictionary<string, string> a = workload.Metadata.Annotations ?? new Dictionary<string, string>();
        var annotated = a.TryGetValue(RunaiAnnotations.CalculatedStatus, out var status) && WorkloadStatus.IsKnown(status);
        return new JobView(
            workload.Name,
            project,
            workload.Namespace,
            workload.Kind.Kind,
            annotated ? status! : computed.Status,
            workload.Metadata.CreationTimestamp,
            annotated ? Gpus(a, RunaiAnnotations.CurrentAllocatedGpus, computed.AllocatedGpus) : computed.AllocatedGpus,
            annotated ? Gpus(a, RunaiAnnotations.TotalRequestedGpus, computed.TotalRequestedGpus) : computed.TotalRequestedGpus,
            annotated ? Long(a, RunaiAnnotations.CurrentAllocatedGpusMemory, computed.AllocatedGpuMemoryMiB) : computed.AllocatedGpuMemoryMiB,
            annotated ? Gpus(a, RunaiAnnotations.PodGroupRequestedGpus, computed.PodGroupRequestedGpus) : computed.PodGroupRequestedGpus,
            annotated ? (int)Long(a, RunaiAnnotations.RunningPods, computed.RunningPods) : computed.RunningPods,
            annotated ? (int)Long(a, RunaiAnnotations.PendingPods, computed.PendingPods) : computed.PendingPods,
            annotated && a.TryGetValue(RunaiAnnotations.UsedNodes, out var nodes)
                ? nodes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : computed.UsedNodes,
            annotated ? (a.TryGetValue(RunaiAnnotations.PendingReason, out var reason) ? reason : null) : computed.PendingReason,
            podGroup?.Status?.QueuePosition);
    }

    private static GpuQuantity Gpus(IDictionary<string, string> a, string key, GpuQuantity fallback) =>
        a.TryGetValue(key, out var text) && GpuQuantity.TryParse(text, out var q) ? q : fallback;

    private static long Long(IDictionary<string, string> a, string key, long fallback) =>
        a.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;
}
