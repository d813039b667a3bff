using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Workloads;

namespace Runai.Cli.Views;

/// <summary>A project's quota and what its pods hold now (bound, unfinished pods in its namespace).</summary>
internal sealed record ProjectView(string Name, string Namespace, GpuQuantity Quota, GpuQuantity? Limit, GpuQuantity Used, GpuQuantity OverQuota)
{
    public static ProjectView Of(Project project, IEnumerable<V1Pod> pods)
    {
        var ns = project.EffectiveNamespace;
        var used = GpuQuantity.Sum(pods.Where(p => p.Metadata?.NamespaceProperty == ns && Holds(p)).Select(p => PodGpus.Of(p).Gpus));
        return new ProjectView(project.Metadata.Name, ns, project.Spec.Gpus.Quota, project.Spec.Gpus.Limit, used,
            GpuQuantity.SubtractOrZero(used, project.Spec.Gpus.Quota));
    }

    /// <summary>A pod holds its GPUs from binding until it finishes.</summary>
    internal static bool Holds(V1Pod pod) =>
        !string.IsNullOrEmpty(pod.Spec?.NodeName) && pod.Status?.Phase is not ("Succeeded" or "Failed");
}

/// <summary>A node's GPUs: pool, model, capacity, what bound pods hold, readiness.</summary>
internal sealed record NodeView(string Name, string? Pool, string? Model, int Gpus, GpuQuantity Allocated, bool Ready)
{
    public static NodeView Of(V1Node node, IEnumerable<V1Pod> pods)
    {
        var name = node.Metadata.Name;
        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        string? Label(string key) => labels.TryGetValue(key, out var value) ? value : null;
        var capacity = node.Status?.Allocatable ?? node.Status?.Capacity;
        var gpus = capacity is not null && capacity.TryGetValue(GpuLabels.ResourceName, out var q) ? (int)q.ToInt64() : 0;
        var allocated = GpuQuantity.Sum(pods.Where(p => p.Spec?.NodeName == name && ProjectView.Holds(p)).Select(p => PodGpus.Of(p).Gpus));
        var ready = node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
        return new NodeView(name, Label(RunaiLabels.NodePool), Label(GpuLabels.Product), gpus, allocated, ready);
    }
}
