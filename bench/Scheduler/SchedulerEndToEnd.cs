using System.Diagnostics;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Controllers.Scheduling;
using Runai.Core;
using Runai.Core.Hosting;
using Runai.Core.Resources;
using Runai.Core.Runtime;

namespace Runai.Bench.Scheduler;

/// <summary>
/// Gang placement through the simulated API: 1,000 8-GPU nodes and a backlog of TrainingWorkloads (gangs of 1 to 4
/// pods) created first, then runai-scheduler started; timed until every pod is bound. Counts what the real component
/// does per gang: snapshot, decide, bind each pod, write the pod group and its status, record Events.
/// </summary>
internal sealed class SchedulerEndToEnd(int nodes, int gangs, string simDll, TextWriter progress)
{
    private const string Namespace = "bench-project";

    public async Task<JsonObject> RunAsync(CancellationToken ct)
    {
        progress.WriteLine($"scheduler e2e: starting the simulated cluster ({simDll})");
        await using var sim = await SimProcess.StartAsync(simDll, ct);
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(sim.KubeconfigPath);
        using var api = new Kubernetes(config);
        using var schedulerApi = new Kubernetes(config);

        progress.WriteLine($"scheduler e2e: creating {nodes} nodes, a project and {gangs} gangs");
        await ForEachAsync(Enumerable.Range(0, nodes), i => api.CoreV1.CreateNodeAsync(Node(i), cancellationToken: ct), ct);
        await api.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: ct);
        var project = new Project { Metadata = new V1ObjectMeta { Name = Namespace } };
        project.Spec.Namespace = Namespace;
        project.Spec.Gpus.Quota = nodes * 8;
        await api.CustomObjects.CreateClusterCustomObjectAsync(project, Project.KubeGroup, Project.KubeApiVersion, Project.KubePluralName, cancellationToken: ct);
        var shapes = Enumerable.Range(0, gangs).Select(Shape).ToList();
        var pods = shapes.Sum(s => s.Workers);
        var gpus = shapes.Sum(s => s.Workers * s.Gpus);
        if (gpus > nodes * 8) throw new BenchmarkFailedException($"the backlog asks {gpus} GPUs of {nodes * 8}");
        await ForEachAsync(Enumerable.Range(0, gangs), async g =>
        {
            var (workers, each) = shapes[g];
            var workload = new TrainingWorkload { Metadata = new V1ObjectMeta { Name = $"g{g:D5}", NamespaceProperty = Namespace } };
            workload.Spec.Image = "trainer";
            workload.Spec.Workers = workers;
            workload.Spec.Gpus = each;
            await api.CustomObjects.CreateNamespacedCustomObjectAsync(workload, TrainingWorkload.KubeGroup, TrainingWorkload.KubeApiVersion, Namespace, TrainingWorkload.KubePluralName, cancellationToken: ct);
            for (var w = 0; w < workers; w++)
            {
                await api.CoreV1.CreateNamespacedPodAsync(Pod($"g{g:D5}", w, each), Namespace, cancellationToken: ct);
            }
        }, ct);

        // The bench's own view of the pods: done when all are bound.
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var informers = new InformerFactory(api, "bench");
        var podInformer = informers.Get(ResourceClient.Pods, new InformerOptions<V1Pod> { Namespace = Namespace });
        var bound = 0;
        var allBound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        podInformer.AddHandler(e =>
        {
            if (string.IsNullOrEmpty(e.Object.Spec?.NodeName) || !seen.Add(e.Key)) return;
            if (Interlocked.Increment(ref bound) == pods) allBound.TrySetResult();
        });
        var informing = informers.RunAsync(watching.Token);
        await podInformer.WaitForSyncAsync(ct);

        progress.WriteLine($"scheduler e2e: {pods} pods ({gpus} GPUs) waiting; starting runai-scheduler");
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var simCpuBefore = sim.CpuTime();
        var clock = Stopwatch.StartNew();
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var context = new ComponentContext(RunaiComponents.Scheduler, "bench", schedulerApi, NullLoggerFactory.Instance, new NoServices());
        var scheduler = new SchedulerComponent().RunAsync(context, leading.Token);
        await allBound.Task.WaitAsync(TimeSpan.FromMinutes(10), ct);
        var seconds = clock.Elapsed.TotalSeconds;
        var driverCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var simCpu = (sim.CpuTime() - simCpuBefore).TotalSeconds;
        await leading.CancelAsync();
        await scheduler;
        await watching.CancelAsync();
        await informing;

        progress.WriteLine($"scheduler e2e: {pods} pods of {gangs} gangs bound in {seconds:0.0} s");
        return new JsonObject
        {
            ["nodes"] = nodes,
            ["gangs"] = gangs,
            ["pods"] = pods,
            ["gpus"] = gpus,
            ["seconds"] = Math.Round(seconds, 2),
            ["placements_per_s"] = Math.Round(pods / seconds, 1),
            ["gangs_per_s"] = Math.Round(gangs / seconds, 1),
            ["scheduler_cpu_s"] = Math.Round(driverCpu, 1),
            ["api_server_cpu_s"] = Math.Round(simCpu, 1),
        };
    }

    private static readonly int[] GangSizes = [1, 2, 4];

    /// <summary>Gangs of 1, 2 and 4 pods with 1 or 2 GPUs each: 21 GPUs per 6 gangs.</summary>
    private static (int Workers, int Gpus) Shape(int g) => (GangSizes[g % 3], g / 3 % 2 == 0 ? 1 : 2);

    private static async Task ForEachAsync(IEnumerable<int> items, Func<int, Task> action, CancellationToken ct) =>
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, _) => await action(i));

    private static V1Node Node(int i)
    {
        var name = $"gpu-{i:D4}";
        var resources = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("128"), ["memory"] = new("1Ti"), ["pods"] = new("110"), ["nvidia.com/gpu"] = new("8") };
        return new V1Node
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Labels = new Dictionary<string, string>
                {
                    ["kubernetes.io/hostname"] = name,
                    [RunaiLabels.NodePool] = $"pool-{i % 4}",
                    [GpuLabels.Count] = "8",
                    [GpuLabels.Memory] = "81559",
                },
            },
            Status = new V1NodeStatus
            {
                Capacity = resources,
                Allocatable = resources,
                Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady" }],
            },
        };
    }

    private static V1Pod Pod(string workload, int worker, int gpus) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = $"{workload}-worker-{worker}",
            Labels = new Dictionary<string, string>
            {
                [RunaiLabels.WorkloadName] = workload,
                [RunaiLabels.WorkloadKind] = TrainingWorkload.KubeKind,
                [RunaiLabels.Project] = Namespace,
            },
        },
        Spec = new V1PodSpec
        {
            SchedulerName = RunaiComponents.SchedulerName,
            Containers =
            [
                new V1Container
                {
                    Name = "worker",
                    Image = "trainer",
                    Resources = new V1ResourceRequirements
                    {
                        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["memory"] = new("16Gi"), ["nvidia.com/gpu"] = new(gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
                        Limits = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new(gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
                    },
                },
            ],
        },
    };

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
