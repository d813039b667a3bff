using k8s.Models;
using Runai.Core;
using Runai.Core.Runtime;
using Runai.Exporter.Model;

namespace Runai.Exporter;

/// <summary>
/// A pod as the exporter's informer caches it: name, namespace and resourceVersion (what the informer needs to key and
/// diff it) and the <see cref="PodFacts"/> read from the full object, which the model keeps too. At 50,000 pods the
/// full objects would be the exporter's largest cost; this keeps about a third of a kilobyte each.
/// </summary>
internal sealed record CachedPod : V1Pod
{
    public required PodFacts Facts { get; init; }
}

internal static class PodTransform
{
    public static V1Pod Slim(V1Pod pod)
    {
        return new CachedPod
        {
            Metadata = Names.CacheKeys(pod.Metadata),
            Facts = PodFacts.From(pod),
        };
    }

    /// <summary>The facts of a pod from the informer (transformed), or read from the object when it was not.</summary>
    public static PodFacts FactsOf(V1Pod pod) => pod is CachedPod cached ? cached.Facts : PodFacts.From(pod);

    /// <summary>The informer options for pods: this transform instead of caching the pod.</summary>
    public static InformerOptions<V1Pod> Options { get; } = InformerOptions<V1Pod>.Default with { Transform = Slim };
}

/// <summary>
/// One copy of each name many objects repeat (namespaces, nodes, workload names shared by their pods, phases): the
/// informer decodes every object afresh, and at 50,000 pods the copies add up. Bounded, so garbage names cannot grow it
/// without limit.
/// </summary>
internal static class Names
{
    private const int MaxEntries = 200_000;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Pool = new(StringComparer.Ordinal);

    /// <summary>
    /// What an informer needs of a cached object's metadata to key and diff it: name, namespace (interned) and
    /// resourceVersion. The slim pod and workload caches keep only this.
    /// </summary>
    public static V1ObjectMeta CacheKeys(V1ObjectMeta? meta) => new()
    {
        Name = meta?.Name,
        NamespaceProperty = Intern(meta?.NamespaceProperty),
        ResourceVersion = meta?.ResourceVersion,
    };

    public static string? Intern(string? value)
    {
        if (value is null || value.Length > 253) return value;
        if (Pool.TryGetValue(value, out var pooled)) return pooled;
        return Pool.Count < MaxEntries ? Pool.GetOrAdd(value, value) : value;
    }
}
