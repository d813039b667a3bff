using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;

namespace Runai.Cli;

/// <summary>One workload object of any kind, as the commands need it: its kind, metadata and typed object.</summary>
internal sealed record WorkloadObject(WorkloadKindInfo Kind, IKubernetesObject<V1ObjectMeta> Object)
{
    public V1ObjectMeta Metadata => Object.Metadata;
    public string Namespace => Metadata.NamespaceProperty ?? "";
    public string Name => Metadata.Name;
}

/// <summary>What the commands read from the API, in one place; a kind whose CRD is not installed reads as none.</summary>
internal sealed class ClusterReader(IKubernetes api)
{
    public async Task<IReadOnlyList<Project>> ProjectsAsync(CancellationToken ct) =>
        (await ListCustomAsync<Project>(Project.KubeGroup, Project.KubeApiVersion, Project.KubePluralName, null, ct)).ToList();

    /// <summary>Workloads of every kind in <paramref name="ns"/> (all namespaces when null).</summary>
    public async Task<IReadOnlyList<WorkloadObject>> WorkloadsAsync(string? ns, CancellationToken ct)
    {
        var lists = await Task.WhenAll(
            Of<MpiJob>(WorkloadKinds.MpiJob, ns, ct),
            Of<RunaiJob>(WorkloadKinds.RunaiJob, ns, ct),
            Of<TrainingWorkload>(WorkloadKinds.TrainingWorkload, ns, ct),
            Of<InferenceWorkload>(WorkloadKinds.InferenceWorkload, ns, ct),
            Of<InteractiveWorkload>(WorkloadKinds.InteractiveWorkload, ns, ct)).ConfigureAwait(false);
        return lists.SelectMany(l => l).OrderBy(w => w.Namespace, StringComparer.Ordinal).ThenBy(w => w.Name, StringComparer.Ordinal).ToList();
    }

    public async Task<IReadOnlyList<V1Pod>> PodsAsync(string? ns, CancellationToken ct) => ns is null
        ? (await api.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct).ConfigureAwait(false)).Items.ToList()
        : (await api.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: ct).ConfigureAwait(false)).Items.ToList();

    public async Task<IReadOnlyList<V1Node>> NodesAsync(CancellationToken ct) =>
        (await api.CoreV1.ListNodeAsync(cancellationToken: ct).ConfigureAwait(false)).Items.ToList();

    public async Task<IReadOnlyList<PodGroup>> PodGroupsAsync(string? ns, CancellationToken ct) =>
        (await ListCustomAsync<PodGroup>(PodGroup.KubeGroup, PodGroup.KubeApiVersion, PodGroup.KubePluralName, ns, ct)).ToList();

    public async Task<IReadOnlyList<Corev1Event>> EventsAsync(string ns, CancellationToken ct) =>
        (await api.CoreV1.ListNamespacedEventAsync(ns, cancellationToken: ct).ConfigureAwait(false)).Items.ToList();

    private async Task<IEnumerable<WorkloadObject>> Of<T>(WorkloadKindInfo kind, string? ns, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        (await ListCustomAsync<T>(kind.Group, kind.Version, kind.Plural, ns, ct).ConfigureAwait(false)).Select(o => new WorkloadObject(kind, o));

    private async Task<IList<T>> ListCustomAsync<T>(string group, string version, string plural, string? ns, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            var list = ns is null
                ? await api.CustomObjects.ListClusterCustomObjectAsync<KubernetesList<T>>(group, version, plural, cancellationToken: ct).ConfigureAwait(false)
                : await api.CustomObjects.ListNamespacedCustomObjectAsync<KubernetesList<T>>(group, version, ns, plural, cancellationToken: ct).ConfigureAwait(false);
            return list.Items ?? [];
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return []; // the kind's CRD is not installed on this cluster
        }
    }
}
