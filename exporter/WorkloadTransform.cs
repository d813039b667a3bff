using System.Runtime.CompilerServices;
using k8s;
using k8s.Models;
using Runai.Core.Runtime;
using Runai.Exporter.Model;

namespace Runai.Exporter;

/// <summary>
/// Workloads as the exporter's informers cache them: name, namespace and resourceVersion only (what the informer keys
/// and diffs on), with the <see cref="WorkloadFacts"/> read from the full object kept beside the slim one, as pods keep
/// theirs (<see cref="PodTransform"/>). The workload kinds are sealed, so the facts cannot ride in a subclass: a
/// weak table keyed by the cached object holds them, and they go with it. At 10,000 workloads the full objects (their
/// annotations, conditions and specs) were tens of megabytes the series never read again.
/// </summary>
internal static class WorkloadTransform
{
    private static readonly ConditionalWeakTable<object, WorkloadFacts> Facts = new();

    /// <summary>The informer options for a workload kind whose facts <paramref name="read"/> gives.</summary>
    public static InformerOptions<T> Options<T>(Func<T, WorkloadFacts> read)
        where T : class, IKubernetesObject<V1ObjectMeta>, new() =>
        InformerOptions<T>.Default with { Transform = w => Slim(w, read) };

    /// <summary>The facts of a workload from the informer (transformed), or read from the object when it was not.</summary>
    public static WorkloadFacts FactsOf<T>(T workload, Func<T, WorkloadFacts> read)
        where T : class => Facts.TryGetValue(workload, out var facts) ? facts : read(workload);

    private static T Slim<T>(T workload, Func<T, WorkloadFacts> read)
        where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        WorkloadFacts facts;
        try
        {
            facts = read(workload);
        }
        catch (Exception)
        {
            // Unreadable: cache it whole (less the usual bookkeeping), so that the event handler reads it again, counts
            // the error and keeps the workload's last good series.
            return InformerTransforms.DropBookkeeping(workload);
        }

        var slim = new T { Metadata = Names.CacheKeys(workload.Metadata) };
        Facts.AddOrUpdate(slim, facts);
        return slim;
    }
}
