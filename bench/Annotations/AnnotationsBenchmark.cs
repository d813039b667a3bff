using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Controllers.Workloads;
using Runai.Core;
using Runai.Core.Hosting;
using Runai.Core.Resources;
using Runai.Core.Runtime;

namespace Runai.Bench.Annotations;

/// <summary>
/// Annotation convergence: the real workload-controller (in this process, as its leader would run) keeps the
/// <c>runai-*</c> annotations on N MPIJobs while the driver churns them, 16 writes in flight, against the simulated API
/// server run as its own process. Four rounds, each one write per workload that moves its calculated status:
/// create the MPIJob (Creating), create its worker pod bound to a node (Initializing), mark the pod Running
/// (Running) — these three as fast as the server takes writes, so they measure the backlog of a burst — then
/// mark the MPIJobs Succeeded (Completed, the seed's 30–60 s defect) at a steady 200 writes/s, which measures
/// convergence under ordinary churn with all N workloads cached and watched. Latency runs from the write's
/// response to the moment a separate watch of the driver sees the annotation with the new status (0 when it is
/// seen before the response arrives).
/// </summary>
internal sealed class AnnotationsBenchmark(int workloads, bool quick, string simDll, TextWriter progress)
{
    private const int Concurrency = 16;

    /// <summary>The last round's pace: steady churn the controller can keep up with, as a busy cluster has.</summary>
    private const int SteadyWritesPerSec = 200;
    private const string Namespace = "bench-annotations";
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private long[] _seenAt = [];
    private string _expected = "";
    private int _seen;
    private TaskCompletionSource _allSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<JsonObject> RunAsync(CancellationToken ct)
    {
        var loadAtStart = LoadAverage();
        Say($"starting the simulated cluster ({simDll})");
        await using var sim = await SimProcess.StartAsync(simDll, ct);
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(sim.KubeconfigPath);
        using var writer = new Kubernetes(config);
        using var controllerApi = new Kubernetes(config);
        using var observerApi = new Kubernetes(config);
        await writer.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: ct);
        await writer.CoreV1.CreateNodeAsync(Node(), cancellationToken: ct);

        using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var context = new ComponentContext(RunaiComponents.WorkloadController, "bench", controllerApi, NullLoggerFactory.Instance, new NoServices());
        var controller = Task.Run(() => new WorkloadControllerComponent().RunAsync(context, leading.Token), CancellationToken.None);

        // The driver's own view: a separate informer on MPIJobs noting when each reaches the awaited status.
        var observers = new InformerFactory(observerApi, "bench-observer");
        var observed = observers.Get(ResourceClient.Custom<MpiJob>(), InformerOptions<MpiJob>.Default with { Namespace = Namespace });
        using var registration = observed.AddHandler(e => Observe(e.Object));
        var observing = observers.RunAsync(leading.Token);
        await observed.WaitForSyncAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);

        var result = new JsonObject
        {
            ["benchmark"] = "annotations",
            ["quick"] = quick,
            ["workloads"] = workloads,
            ["writesInFlight"] = Concurrency,
        };
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var phases = new JsonObject();
        phases["create"] = await PhaseAsync("create MPIJobs", WorkloadStatus.Creating,
            i => writer.CustomObjects.CreateNamespacedCustomObjectAsync(MpiJobBody(i), MpiJob.KubeGroup, MpiJob.KubeApiVersion, Namespace, MpiJob.KubePluralName, cancellationToken: ct), ct);
        phases["podBound"] = await PhaseAsync("create bound worker pods", WorkloadStatus.Initializing,
            i => writer.CoreV1.CreateNamespacedPodAsync(Pod(i), Namespace, cancellationToken: ct), ct);
        phases["podRunning"] = await PhaseAsync("mark the pods Running", WorkloadStatus.Running,
            i => writer.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch("""{"status":{"phase":"Running"}}""", V1Patch.PatchType.MergePatch), Worker(i), Namespace, cancellationToken: ct), ct);
        phases["jobSucceededSteady"] = await PhaseAsync($"mark the MPIJobs Succeeded at {SteadyWritesPerSec}/s", WorkloadStatus.Completed,
            i => writer.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(SucceededStatus, V1Patch.PatchType.MergePatch),
                MpiJob.KubeGroup, MpiJob.KubeApiVersion, Namespace, MpiJob.KubePluralName, Job(i), cancellationToken: ct), ct, SteadyWritesPerSec);
        result["phases"] = phases;
        var all = phases.Select(p => p.Value!["latencyMs"]!).ToList();
        result["controllerAndDriverCpuSeconds"] = Math.Round((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds, 1);
        result["reconciles"] = ControllerMetrics.Reconciles.WithLabels(RunaiComponents.WorkloadController, "mpijob", "success").Value;
        result["reconcileErrors"] = ControllerMetrics.Reconciles.WithLabels(RunaiComponents.WorkloadController, "mpijob", "error").Value;
        GC.Collect();
        result["driverRssMiB"] = Math.Round(Environment.WorkingSet / 1024.0 / 1024.0, 1);
        result["serverRssMiB"] = Math.Round(sim.Memory().Rss / 1024.0 / 1024.0, 1);

        await leading.CancelAsync();
        await Task.WhenAll(controller, observing).WaitAsync(TimeSpan.FromSeconds(15), CancellationToken.None);
        var machine = BenchHost.Machine();
        machine["loadAverage"] = new JsonObject { ["start"] = loadAtStart, ["end"] = LoadAverage() };
        result["machine"] = machine;
        result["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        return result;
    }

    private async Task<JsonObject> PhaseAsync<T>(string what, string status, Func<int, Task<T>> write, CancellationToken ct, int? writesPerSec = null)
    {
        var responded = new long[workloads];
        lock (_gate)
        {
            _seenAt = new long[workloads];
            _seen = 0;
            _expected = status;
            _allSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        Say($"{what}: {workloads} writes, awaiting {status}");
        var started = Stopwatch.GetTimestamp();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < workloads)
            {
                if (writesPerSec is { } pace)
                {
                    var due = TimeSpan.FromSeconds((double)i / pace) - Stopwatch.GetElapsedTime(started);
                    if (due > TimeSpan.Zero) await Task.Delay(due, ct);
                }

                try
                {
                    await write(i);
                }
                catch (HttpOperationException e)
                {
                    throw new BenchmarkFailedException($"{what}, workload {i}: {(int)e.Response.StatusCode} {e.Response.Content}");
                }

                responded[i] = Stopwatch.GetTimestamp();
            }
        }));
        var writesDone = Stopwatch.GetTimestamp();
        var finished = await Task.WhenAny(_allSeen.Task, Task.Delay(TimeSpan.FromSeconds(180), ct));
        if (finished != _allSeen.Task)
            throw new BenchmarkFailedException($"{what}: only {_seen} of {workloads} workloads read {status} within 180 s of the last write");
        var latencies = Enumerable.Range(0, workloads).Select(i => Math.Max(0, Stopwatch.GetElapsedTime(responded[i], _seenAt[i]).TotalMilliseconds)).ToList();
        var last = _seenAt.Max();
        Say($"{what}: {workloads / Stopwatch.GetElapsedTime(started, writesDone).TotalSeconds:0} writes/s; every annotation {status} " +
            $"{Stopwatch.GetElapsedTime(writesDone, last).TotalMilliseconds:0} ms after the last write");
        return new JsonObject
        {
            ["awaited"] = status,
            ["pacedWritesPerSec"] = writesPerSec,
            ["writesPerSec"] = Math.Round(workloads / Stopwatch.GetElapsedTime(started, writesDone).TotalSeconds),
            ["latencyMs"] = Percentiles.Summary(latencies),
            ["over1s"] = latencies.Count(l => l > 1000),
            ["lastAfterLastWriteMs"] = Math.Round(Stopwatch.GetElapsedTime(writesDone, last).TotalMilliseconds, 1),
        };
    }

    /// <summary>Called under the observer informer's lock: notes the first time each workload reads the awaited status.</summary>
    private void Observe(MpiJob job)
    {
        if (job.Metadata.Annotations?.TryGetValue(RunaiAnnotations.CalculatedStatus, out var status) != true) return;
        var name = job.Metadata.Name;
        if (!name.StartsWith("wl-", StringComparison.Ordinal) || !int.TryParse(name.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var i)) return;
        lock (_gate)
        {
            if (status != _expected || i >= _seenAt.Length || _seenAt[i] != 0) return;
            _seenAt[i] = Stopwatch.GetTimestamp();
            if (++_seen == workloads) _allSeen.TrySetResult();
        }
    }

    private const string SucceededStatus = """{"status":{"conditions":[{"type":"Succeeded","status":"True","reason":"MPIJobSucceeded","message":"bench"}]}}""";

    private static string Job(int i) => "wl-" + i.ToString("D5", CultureInfo.InvariantCulture);

    private static string Worker(int i) => Job(i) + "-worker-0";

    private static JsonObject MpiJobBody(int i) => new()
    {
        ["apiVersion"] = MpiJob.KubeGroupVersion,
        ["kind"] = MpiJob.KubeKind,
        ["metadata"] = new JsonObject { ["name"] = Job(i), ["namespace"] = Namespace },
        ["spec"] = new JsonObject
        {
            ["slotsPerWorker"] = 1,
            ["mpiReplicaSpecs"] = new JsonObject
            {
                ["Launcher"] = Replica("launcher", null),
                ["Worker"] = Replica("worker", 1),
            },
        },
    };

    private static JsonObject Replica(string name, int? gpus) => new()
    {
        ["replicas"] = 1,
        ["template"] = new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = name,
                    ["image"] = "mpi:bench",
                    ["resources"] = gpus is { } g ? new JsonObject { ["limits"] = new JsonObject { [GpuLabels.ResourceName] = g } } : null,
                }),
            },
        },
    };

    private static V1Pod Pod(int i) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = Worker(i),
            Labels = new Dictionary<string, string>
            {
                [KubeflowLabels.JobName] = Job(i),
                [KubeflowLabels.JobRole] = KubeflowLabels.RoleWorker,
                [KubeflowLabels.OperatorName] = KubeflowLabels.MpiOperator,
            },
        },
        Spec = new V1PodSpec
        {
            NodeName = "bench-node",
            Containers = [new V1Container { Name = "worker", Image = "mpi:bench", Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { [GpuLabels.ResourceName] = new("1") } } }],
        },
    };

    private static V1Node Node() => new()
    {
        Metadata = new V1ObjectMeta { Name = "bench-node", Labels = new Dictionary<string, string> { [GpuLabels.Memory] = "75377" } },
    };

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private void Say(string message) => progress.WriteLine($"[{_clock.Elapsed:mm\\:ss}] annotations: {message}");

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
