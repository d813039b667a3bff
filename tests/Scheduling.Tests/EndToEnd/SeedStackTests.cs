using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Hosting.Tests.Support;
using Runai.Sim;
using Runai.Sim.Api;
using Runai.Sim.Kubelet;

namespace Runai.Scheduling.Tests.EndToEnd;

/// <summary>
/// The seed scenario as <c>./run.sh</c> runs it: runai-admission and runai-scheduler installed from deploy/ and run
/// by the simulated kubelet as real processes; the seed's MPIJob sets no scheduler name.
/// </summary>
public sealed class SeedStackCluster : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("runai-scheduling-").FullName;
    private SimCluster? _cluster;

    public Kubernetes Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(new SimClusterOptions
        {
            ScenarioPath = Path.Combine(AppContext.BaseDirectory, "scenarios", "seed.yaml"),
            RunDirectory = Path.Combine(_dir, "run"),
            Images = ImageMap.Parse([$"runai/controllers:dev=dotnet {Repo.ControllersDll}"]),
            Manifests = [Path.Combine(Repo.DeployDirectory, "runai-namespace.yaml"), Repo.ComponentManifest(RunaiComponents.Admission), Repo.ComponentManifest(RunaiComponents.Scheduler)],
            Api = new ApiServerOptions { BookmarkInterval = TimeSpan.FromSeconds(1) },
        });
        Admin = _cluster.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_cluster is not null) await _cluster.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[Collection(ClusterCollection.Name)]
public sealed class SeedStackTests(SeedStackCluster cluster) : IClassFixture<SeedStackCluster>
{
    [Fact]
    public async Task TheSeedMpiJobGetsRunaiSchedulerFromTheWebhookAndItsWorkersLandOnTwoNodes()
    {
        var workers = await Wait.UntilAsync(
            async () => (await cluster.Admin.CoreV1.ListNamespacedPodAsync("my-project", labelSelector: "training.kubeflow.org/job-role=worker")).Items,
            pods => pods.Count == 2 && pods.All(p => !string.IsNullOrEmpty(p.Spec.NodeName)), "the seed's two workers bound", seconds: 120);
        Assert.All(workers, p => Assert.Equal(RunaiComponents.SchedulerName, p.Spec.SchedulerName));
        Assert.Equal(2, workers.Select(p => p.Spec.NodeName).Distinct().Count());
        // The pod group is written after the binding in the same cycle: it may not be there yet.
        var group = await Wait.UntilAsync(async () =>
            {
                try
                {
                    var json = await cluster.Admin.CustomObjects.GetNamespacedCustomObjectAsync<System.Text.Json.Nodes.JsonObject>(
                        PodGroup.KubeGroup, PodGroup.KubeApiVersion, "my-project", PodGroup.KubePluralName, PodGroup.NameFor("MPIJob", "nccl-roce-validation"));
                    return KubernetesJson.Deserialize<PodGroup>(json.ToJsonString());
                }
                catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    return null;
                }
            },
            g => g?.Status?.Conditions.IsTrue(PodGroupConditionTypes.Scheduled) == true, "the seed's pod group scheduled");
        Assert.Equal("my-project", group!.Spec.Queue);
        Assert.Equal("4", group.Spec.Gpus);
        // Each binding's Event is recorded before the cycle writes the pod group.
        var events = (await cluster.Admin.CoreV1.ListNamespacedEventAsync("my-project")).Items;
        Assert.All(workers, p => Assert.Contains(events, e => e.InvolvedObject?.Name == p.Metadata.Name && e.Reason == "Scheduled" && e.Source?.Component == RunaiComponents.Scheduler));
    }
}
