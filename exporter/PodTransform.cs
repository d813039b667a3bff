using k8s.Models;
using Runai.Core;
using Runai.Core.Runtime;

namespace Runai.Exporter;

/// <summary>
/// Keeps of each pod only what the series need before the informer caches it, so 50,000 pods fit in a few tens of MB:
/// identity and ownership, GPU requests, node, phase, scheduling time, and container restarts of component pods.
/// </summary>
internal static class PodTransform
{
    private static readonly string[] KeptAnnotations = [RunaiExtraAnnotations.GpuFraction, RunaiExtraAnnotations.GpuMemory];

    // What WorkloadIdentity.Of reads, the project label and the component (app) label.
    private static readonly string[] KeptLabels =
    [
        RunaiLabels.WorkloadName, RunaiLabels.WorkloadKind, RunaiLabels.Project, RunaiComponents.AppLabel,
        KubeflowLabels.JobName, KubeflowLabels.JobRole, KubeflowLabels.OperatorName,
    ];

    public static V1Pod Slim(V1Pod pod)
    {
        var meta = pod.Metadata ?? new V1ObjectMeta();
        var annotations = meta.Annotations is null ? null : KeptAnnotations
            .Where(meta.Annotations.ContainsKey).ToDictionary(a => a, a => meta.Annotations[a]);
        var component = meta.NamespaceProperty == RunaiComponents.Namespace;
        var labels = meta.Labels is null ? null : KeptLabels
            .Where(meta.Labels.ContainsKey).ToDictionary(l => l, l => meta.Labels[l]);
        return new V1Pod
        {
            ApiVersion = pod.ApiVersion,
            Kind = pod.Kind,
            Metadata = new V1ObjectMeta
            {
                Name = meta.Name,
                NamespaceProperty = meta.NamespaceProperty,
                ResourceVersion = meta.ResourceVersion,
                CreationTimestamp = meta.CreationTimestamp,
                DeletionTimestamp = meta.DeletionTimestamp,
                Labels = labels is { Count: > 0 } ? labels : null,
                Annotations = annotations is { Count: > 0 } ? annotations : null,
                OwnerReferences = meta.OwnerReferences?.Where(o => o.Controller == true).ToList(),
            },
            Spec = pod.Spec is null ? null : new V1PodSpec
            {
                NodeName = pod.Spec.NodeName,
                Containers = pod.Spec.Containers?.Select(SlimContainer).ToList() ?? [],
                InitContainers = pod.Spec.InitContainers?.Select(SlimContainer).ToList(),
            },
            Status = pod.Status is null ? null : new V1PodStatus
            {
                Phase = pod.Status.Phase,
                StartTime = pod.Status.StartTime,
                Conditions = pod.Status.Conditions?.Where(c => c.Type == "PodScheduled").ToList(),
                ContainerStatuses = component ? pod.Status.ContainerStatuses : null,
            },
        };
    }

    private static V1Container SlimContainer(V1Container container) => new()
    {
        Name = container.Name,
        Resources = container.Resources is { } r && (Has(r.Requests) || Has(r.Limits))
            ? new V1ResourceRequirements
            {
                Requests = Has(r.Requests) ? new Dictionary<string, ResourceQuantity> { [GpuLabels.ResourceName] = r.Requests![GpuLabels.ResourceName] } : null,
                Limits = Has(r.Limits) ? new Dictionary<string, ResourceQuantity> { [GpuLabels.ResourceName] = r.Limits![GpuLabels.ResourceName] } : null,
            }
            : null,
    };

    private static bool Has(IDictionary<string, ResourceQuantity>? resources) => resources?.ContainsKey(GpuLabels.ResourceName) == true;

    /// <summary>The informer options for pods: this transform after the usual bookkeeping drop.</summary>
    public static InformerOptions<V1Pod> Options { get; } = InformerOptions<V1Pod>.Default with { Transform = Slim };
}
