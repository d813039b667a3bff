using k8s.Models;

namespace Runai.Sim.Operators.Internal;

/// <summary>Resource arithmetic on pods and nodes, in the units the scheduler compares (cores, bytes, counts).</summary>
internal static class Quantities
{
    public static ResourceQuantity? Get(IDictionary<string, ResourceQuantity>? map, string name) =>
        map is not null && map.TryGetValue(name, out var q) ? q : null;

    /// <summary>
    /// What a container asks for of one resource: its request, or its limit when only the limit is set
    /// (the API server's defaulting for extended resources, applied here too in case a pod skipped it).
    /// </summary>
    public static decimal Requested(V1Container container, string name) =>
        (Get(container.Resources?.Requests, name) ?? Get(container.Resources?.Limits, name))?.ToDecimal() ?? 0m;

    /// <summary>A pod's request of one resource: the sum over its containers, or the largest init container's when that is more.</summary>
    public static decimal Requested(V1Pod pod, string name)
    {
        var sum = (pod.Spec?.Containers ?? []).Sum(c => Requested(c, name));
        var init = (pod.Spec?.InitContainers ?? []).Select(c => Requested(c, name)).DefaultIfEmpty(0m).Max();
        return Math.Max(sum, init);
    }

    public static decimal Allocatable(V1Node node, string name) =>
        (Get(node.Status?.Allocatable, name) ?? Get(node.Status?.Capacity, name))?.ToDecimal() ?? 0m;
}
