using k8s.Models;
using Runai.Core.Resources;
using Runai.Core.Runtime;
using Runai.Core.Workloads;

namespace Runai.Controllers.Workloads;

/// <summary>
/// The shared caches workload-controller reads, with the indexes that answer "which pods belong to this workload"
/// and "which workloads have pods on this node" without scanning every pod.
/// </summary>
internal sealed class WorkloadIndex
{
    private const string ByWorkload = "workload";
    private const string ByNode = "node";

    public WorkloadIndex(InformerFactory informers)
    {
        Pods = informers.Get(ResourceClient.Pods);
        Pods.AddIndexer(ByWorkload, pod => WorkloadIdentity.Of(pod) is { } w ? [Key(w)] : []);
        Pods.AddIndexer(ByNode, pod => string.IsNullOrEmpty(pod.Spec?.NodeName) ? [] : [pod.Spec.NodeName]);
        Nodes = informers.Get(ResourceClient.Nodes);
        PodGroups = informers.Get(ResourceClient.Custom<PodGroup>());
    }

    public SharedInformer<V1Pod> Pods { get; }

    public SharedInformer<V1Node> Nodes { get; }

    public SharedInformer<PodGroup> PodGroups { get; }

    public IReadOnlyList<V1Pod> PodsOf(WorkloadRef workload) => Pods.ByIndex(ByWorkload, Key(workload));

    /// <summary>The workloads with a pod bound to <paramref name="node"/>.</summary>
    public IEnumerable<WorkloadRef> WorkloadsOn(string node) =>
        Pods.ByIndex(ByNode, node).Select(WorkloadIdentity.Of).OfType<WorkloadRef>().Distinct();

    /// <summary>MiB per GPU of a node from the cache; null when the node or its label is missing.</summary>
    public long? NodeGpuMemoryMiB(string node) => WorkloadObservation.GpuMemoryOf(Nodes.Get(null, node));

    public PodGroup? PodGroupOf(WorkloadRef workload) => PodGroups.Get(workload.Namespace, PodGroup.NameFor(workload.Kind, workload.Name));

    /// <summary>The workload a pod group belongs to, from its spec (or owner), for the controllers' watch mapping.</summary>
    public static WorkloadRef? OwnerOf(PodGroup group)
    {
        var ns = group.Metadata?.NamespaceProperty ?? "";
        if (!string.IsNullOrEmpty(group.Spec?.Workload?.Kind) && !string.IsNullOrEmpty(group.Spec.Workload.Name))
            return new WorkloadRef(group.Spec.Workload.Kind, ns, group.Spec.Workload.Name);
        return group.Metadata is null ? null : WorkloadIdentity.OfObject(group.Metadata);
    }

    private static string Key(WorkloadRef w) => $"{w.Kind}/{w.Namespace}/{w.Name}";
}
