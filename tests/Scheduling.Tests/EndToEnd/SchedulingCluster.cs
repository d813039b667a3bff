using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Controllers.Scheduling;
using Runai.Core;
using Runai.Core.Hosting;
using Runai.Core.Resources;
using Runai.Core.Yaml;
using Runai.Sim;
using Runai.Sim.Api;

namespace Runai.Scheduling.Tests.EndToEnd;

/// <summary>The end-to-end classes share the machine's two cores: one simulated cluster at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection
{
    public const string Name = "simulated cluster";
}

/// <summary>
/// A simulated cluster (kubelets, MPI operator, default scheduler stand-in) with the real runai-scheduler running
/// in-process under its own ServiceAccount and the RBAC of deploy/components (so a missing rule fails the test),
/// and optionally workload-overseer likewise.
/// </summary>
public abstract class SchedulingCluster : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _components = [];
    private readonly List<Kubernetes> _clients = [];
    private SimCluster? _cluster;

    internal SimCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public Kubernetes Admin { get; private set; } = null!;

    protected abstract string Scenario { get; }

    protected virtual IEnumerable<IComponent> Components() => [new SchedulerComponent(new SchedulerOptions { Resync = TimeSpan.FromMilliseconds(500) })];

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(new SimClusterOptions
        {
            ScenarioPath = Path.Combine(AppContext.BaseDirectory, "scenarios", Scenario),
            StartWorkloadSimulation = true,
            // A watch learns that its client has gone only when it next writes: frequent bookmarks let the server stop promptly.
            Api = new ApiServerOptions { BookmarkInterval = TimeSpan.FromSeconds(1) },
        });
        Admin = _cluster.CreateClient();
        foreach (var component in Components()) await StartAsync(component);
    }

    /// <summary>Runs a component in-process under its own ServiceAccount, with the RBAC its manifest grants.</summary>
    public async Task StartAsync(IComponent component)
    {
        {
            // Only the identity and its rights from the manifest; the component itself runs here, not as a pod.
            var manifest = Path.Combine(AppContext.BaseDirectory, "deploy-components", component.Name + ".yaml");
            var objects = KubeYaml.ReadObjects(await File.ReadAllTextAsync(manifest), manifest)
                .Where(o => (string?)o["kind"] is "ServiceAccount" or "ClusterRole" or "ClusterRoleBinding" or "Role" or "RoleBinding" or "ConfigMap")
                .ToList();
            await Cluster.ApplyAsync(objects);
            var client = Cluster.CreateClient(Cluster.IssueServiceAccountToken(RunaiComponents.Namespace, component.Name));
            _clients.Add(client);
            var context = new ComponentContext(component.Name, component.Name + "-test", client, NullLoggerFactory.Instance, new NoServices());
            _components.Add(Task.Run(() => component.RunAsync(context, _stop.Token)));
        }
    }

    /// <summary>A project and its namespace.</summary>
    public async Task CreateProjectAsync(string name, int quota, int? limit = null)
    {
        await Admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        var project = new Project { Metadata = new V1ObjectMeta { Name = name } };
        project.Spec.Namespace = name;
        project.Spec.Gpus.Quota = quota;
        project.Spec.Gpus.Limit = limit;
        project.Spec.NodePools = ["gpu-h200-pool"];
        await Admin.CustomObjects.CreateClusterCustomObjectAsync(project, Project.KubeGroup, Project.KubeApiVersion, Project.KubePluralName);
    }

    /// <summary>
    /// A TrainingWorkload and its pods, made here as workload-controller would (that component is not part of these
    /// tests): one pod per worker with the workload labels, <c>schedulerName: runai-scheduler</c> and whole GPUs.
    /// </summary>
    public async Task CreateTrainingAsync(string ns, string name, int workers, int gpusEach, string priorityClass = "train")
    {
        var workload = new TrainingWorkload { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns } };
        workload.Spec.Image = "nvcr.io/nvidia/pytorch:24.05-py3";
        workload.Spec.Workers = workers;
        workload.Spec.Gpus = gpusEach;
        workload.Spec.PriorityClassName = priorityClass;
        await Admin.CustomObjects.CreateNamespacedCustomObjectAsync(workload, TrainingWorkload.KubeGroup, TrainingWorkload.KubeApiVersion, ns, TrainingWorkload.KubePluralName);
        for (var i = 0; i < workers; i++)
        {
            await Admin.CoreV1.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta
                {
                    Name = $"{name}-worker-{i}",
                    Labels = new Dictionary<string, string>
                    {
                        [RunaiLabels.WorkloadName] = name,
                        [RunaiLabels.WorkloadKind] = TrainingWorkload.KubeKind,
                        [RunaiLabels.Project] = ns,
                    },
                },
                Spec = new V1PodSpec
                {
                    SchedulerName = RunaiComponents.SchedulerName,
                    PriorityClassName = priorityClass,
                    TerminationGracePeriodSeconds = 0,
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "worker",
                            Image = "nvcr.io/nvidia/pytorch:24.05-py3",
                            Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new(gpusEach.ToString(System.Globalization.CultureInfo.InvariantCulture)) } },
                        },
                    ],
                },
            }, ns);
        }
    }

    public async Task<JsonObject> GetTrainingAsync(string ns, string name) =>
        await Admin.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>(TrainingWorkload.KubeGroup, TrainingWorkload.KubeApiVersion, ns, TrainingWorkload.KubePluralName, name);

    public async Task<MpiJob> CreateMpiJobAsync(string ns, string name, int workers, int gpusPerWorker, bool antiAffinity)
    {
        var worker = new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name + "-worker" } },
            ["spec"] = new JsonObject
            {
                ["schedulerName"] = RunaiComponents.SchedulerName,
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "worker",
                    ["image"] = "nvcr.io/nvidia/pytorch:24.05-py3",
                    ["resources"] = new JsonObject { ["limits"] = new JsonObject { ["nvidia.com/gpu"] = gpusPerWorker, ["cpu"] = "16", ["memory"] = "128Gi" } },
                }),
            },
        };
        if (antiAffinity)
        {
            var selector = new JsonObject { ["training.kubeflow.org/job-name"] = name, ["training.kubeflow.org/job-role"] = "worker" };
            var term = new JsonObject { ["labelSelector"] = new JsonObject { ["matchLabels"] = selector }, ["topologyKey"] = "kubernetes.io/hostname" };
            worker["spec"]!["affinity"] = new JsonObject
            {
                ["podAntiAffinity"] = new JsonObject { ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonArray(term) },
            };
        }

        var job = new JsonObject
        {
            ["apiVersion"] = MpiJob.KubeGroupVersion,
            ["kind"] = MpiJob.KubeKind,
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["spec"] = new JsonObject
            {
                ["slotsPerWorker"] = gpusPerWorker,
                ["launcherCreationPolicy"] = "WaitForWorkersReady",
                ["runPolicy"] = new JsonObject { ["cleanPodPolicy"] = "None", ["backoffLimit"] = 0 },
                ["mpiReplicaSpecs"] = new JsonObject
                {
                    ["Launcher"] = new JsonObject
                    {
                        ["replicas"] = 1,
                        ["template"] = new JsonObject
                        {
                            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["sim.run.ai/run-seconds"] = "86400" } },
                            ["spec"] = new JsonObject
                            {
                                ["schedulerName"] = RunaiComponents.SchedulerName,
                                ["containers"] = new JsonArray(new JsonObject
                                {
                                    ["name"] = "launcher",
                                    ["image"] = "nvcr.io/nvidia/pytorch:24.05-py3",
                                    ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "1", ["memory"] = "2Gi" } },
                                }),
                            },
                        },
                    },
                    ["Worker"] = new JsonObject { ["replicas"] = workers, ["template"] = worker },
                },
            },
        };
        await Admin.CustomObjects.CreateNamespacedCustomObjectAsync(job, MpiJob.KubeGroup, MpiJob.KubeApiVersion, ns, MpiJob.KubePluralName);
        return KubernetesJson.Deserialize<MpiJob>(job.ToJsonString());
    }

    public async Task<IList<V1Pod>> PodsAsync(string ns, string? selector = null) =>
        (await Admin.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector)).Items;

    public async Task<PodGroup?> PodGroupAsync(string ns, string name)
    {
        try
        {
            var json = await Admin.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>(PodGroup.KubeGroup, PodGroup.KubeApiVersion, ns, PodGroup.KubePluralName, name);
            return KubernetesJson.Deserialize<PodGroup>(json.ToJsonString());
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IList<Corev1Event>> EventsAsync(string ns, string name) =>
        (await Admin.CoreV1.ListNamespacedEventAsync(ns)).Items.Where(e => e.InvolvedObject?.Name == name).ToList();

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_components).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        // Open watches would hold the API server's shutdown until its timeout.
        foreach (var client in _clients) client.Dispose();
        Admin?.Dispose();
        if (_cluster is not null) await _cluster.DisposeAsync();
    }

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}

public sealed class EightNodeCluster : SchedulingCluster
{
    protected override string Scenario => "eight-h200.yaml";
}

public sealed class TwoSmallNodesCluster : SchedulingCluster
{
    protected override string Scenario => "two-small.yaml";
}

/// <summary>Four 4-GPU nodes; the test starts workload-overseer itself, after showing what happens without it.</summary>
public sealed class FourNodeCluster : SchedulingCluster
{
    protected override string Scenario => "four-nodes.yaml";
}
