using System.Text.Json;
using k8s;
using k8s.Models;
using Runai.Core.Resources;
using Runai.Sim;

namespace Runai.Exporter.Tests.Support;

/// <summary>An API-only simulated cluster (no kubelets or schedulers: the tests play them) for one test class.</summary>
public sealed class SimApi : IAsyncLifetime
{
    private SimCluster? _cluster;

    internal SimCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster has not started");

    public Kubernetes Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(new SimClusterOptions { StartWorkloadSimulation = false });
        Admin = _cluster.CreateClient();
    }

    public Kubernetes ClientWithoutRights() => Cluster.CreateClient(Cluster.IssueServiceAccountToken("runai", "nobody"));

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}

/// <summary>Writes to the API as workload-controller, the scheduler and kubelets would, for tests that play them.</summary>
internal static class Api
{
    public static async Task<string> NewNamespaceAsync(this IKubernetes api, string prefix = "t")
    {
        var name = prefix + "-" + Guid.NewGuid().ToString("N")[..8];
        await api.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        return name;
    }

    public static Task CreateAsync(this IKubernetes api, Project project) =>
        api.CustomObjects.CreateClusterCustomObjectAsync(project, Project.KubeGroup, Project.KubeApiVersion, Project.KubePluralName);

    public static Task CreateAsync(this IKubernetes api, TrainingWorkload workload) =>
        api.CustomObjects.CreateNamespacedCustomObjectAsync(workload, TrainingWorkload.KubeGroup, TrainingWorkload.KubeApiVersion,
            workload.Metadata.NamespaceProperty, TrainingWorkload.KubePluralName);

    /// <summary>Merges <paramref name="annotations"/> into a workload's (null values remove), as workload-controller writes them.</summary>
    public static Task AnnotateAsync(this IKubernetes api, string group, string version, string plural, string ns, string name, IDictionary<string, string?> annotations) =>
        api.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(JsonSerializer.Serialize(new { metadata = new { annotations } }), V1Patch.PatchType.MergePatch), group, version, ns, plural, name);

    public static Task PatchStatusAsync(this IKubernetes api, string group, string version, string plural, string ns, string name, object status) =>
        api.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(JsonSerializer.Serialize(new { status }), V1Patch.PatchType.MergePatch), group, version, ns, plural, name);
}
