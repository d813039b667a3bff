using System.Diagnostics;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Workloads.Tests.Support;

namespace Runai.Workloads.Tests;

/// <summary>
/// The real workload-controller against the simulated cluster keeps the <c>runai-*</c> annotations on MPIJobs true:
/// the seed's values exactly, memory 0 without the nodes' GPU memory label, Completed within 1 s of success.
/// </summary>
[Collection(WorkloadCluster.Name)]
public sealed class MpiJobAnnotationTests(WorkloadClusterFixture fixture)
{
    private const string Project = "my-project";

    [Fact]
    public async Task TheSeedMpiJobCarriesExactlyTheSpecsAnnotations()
    {
        var annotations = await Wait.ForAsync(async () =>
        {
            var a = (await GetAsync("nccl-roce-validation")).Metadata.Annotations;
            return a is not null && a.TryGetValue(RunaiAnnotations.CalculatedStatus, out var s) && s == WorkloadStatus.Running
                && a.TryGetValue(RunaiAnnotations.RunningPods, out var r) && r == "2" ? a : null;
        }, "the seed MPIJob annotated Running with two running workers", seconds: 30);

        Assert.Equal("0", annotations[RunaiAnnotations.PendingPods]);
        Assert.Equal("4", annotations[RunaiAnnotations.CurrentAllocatedGpus]);
        Assert.Equal("4", annotations[RunaiAnnotations.CurrentRequestedGpus]);
        Assert.Equal("4", annotations[RunaiAnnotations.TotalRequestedGpus]);
        Assert.Equal("4", annotations[RunaiAnnotations.PodGroupRequestedGpus]);
        Assert.Equal("0", annotations[RunaiAnnotations.PodGroupRequestedGpusMemory]);
        Assert.False(annotations.ContainsKey(RunaiAnnotations.PendingReason));
        var nodes = annotations[RunaiAnnotations.UsedNodes].Split(", ");
        Assert.Equal(2, nodes.Length);
        Assert.All(nodes, n => Assert.Matches("^gpu-worker-0[1-8]$", n));
        Assert.NotEqual(nodes[0], nodes[1]);
        Assert.Equal(nodes.Order(StringComparer.Ordinal), nodes);

        // The memory follows the nodes' label: 301508 while it is there, "0" once it is removed, back when restored.
        await Wait.ForAsync(async () => (await GetAsync("nccl-roce-validation")).Metadata.Annotations[RunaiAnnotations.CurrentAllocatedGpusMemory] == "301508",
            "allocated memory 301508", seconds: 10);
        try
        {
            foreach (var node in nodes) await SetMemoryLabelAsync(node, null);
            await Wait.ForAsync(async () => (await GetAsync("nccl-roce-validation")).Metadata.Annotations[RunaiAnnotations.CurrentAllocatedGpusMemory] == "0",
                "allocated memory 0 after the label is removed", seconds: 5);
        }
        finally
        {
            foreach (var node in nodes) await SetMemoryLabelAsync(node, "75377");
        }

        await Wait.ForAsync(async () => (await GetAsync("nccl-roce-validation")).Metadata.Annotations[RunaiAnnotations.CurrentAllocatedGpusMemory] == "301508",
            "allocated memory 301508 after the label is restored", seconds: 5);
    }

    [Fact]
    public async Task ASucceededMpiJobReadsCompletedWithinOneSecond()
    {
        const string name = "short-allreduce";
        await fixture.CreateAsync(WorkloadKinds.MpiJob, Project, ShortMpiJob(name, launcherSeconds: 3));
        await Wait.ForAsync(async () => Status(await GetAsync(name)) == WorkloadStatus.Running, "the short MPIJob annotated Running", seconds: 30);

        // Sample the job until both the operator's Succeeded condition and the Completed annotation are seen.
        var clock = Stopwatch.StartNew();
        TimeSpan? succeededAt = null, completedAt = null;
        while ((succeededAt is null || completedAt is null) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var job = await GetAsync(name);
            if (succeededAt is null && job.Status?.HasTrueCondition(MpiJobConditionTypes.Succeeded) == true) succeededAt = clock.Elapsed;
            if (completedAt is null && Status(job) == WorkloadStatus.Completed) completedAt = clock.Elapsed;
            await Task.Delay(10);
        }

        Assert.NotNull(succeededAt);
        Assert.NotNull(completedAt);
        Assert.True(completedAt - succeededAt < TimeSpan.FromSeconds(1),
            $"Completed was seen {(completedAt - succeededAt)!.Value.TotalMilliseconds:F0} ms after Succeeded; the bound is 1 s");
    }

    [Fact]
    public async Task ASuspendedMpiJobIsStoppedAndAGangThatCannotFitIsPending()
    {
        const string name = "too-big";
        // Three workers of 4 GPUs with anti-affinity on 8 nodes fit; 9 do not: the default scheduler leaves one pending.
        var body = ShortMpiJob(name, launcherSeconds: 600, workers: 9, gpusPerWorker: 4);
        await fixture.CreateAsync(WorkloadKinds.MpiJob, Project, body);
        await Wait.ForAsync(async () => Status(await GetAsync(name)) == WorkloadStatus.Pending, "the oversized MPIJob Pending", seconds: 20);

        await fixture.Admin.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"runPolicy":{"suspend":true}}}""", V1Patch.PatchType.MergePatch),
            MpiJob.KubeGroup, MpiJob.KubeApiVersion, Project, MpiJob.KubePluralName, name);
        await Wait.ForAsync(async () => Status(await GetAsync(name)) == WorkloadStatus.Stopped, "the suspended MPIJob Stopped", seconds: 10);

        await fixture.Admin.CustomObjects.DeleteNamespacedCustomObjectAsync(MpiJob.KubeGroup, MpiJob.KubeApiVersion, Project, MpiJob.KubePluralName, name);
    }

    private static string? Status(MpiJob job) =>
        job.Metadata.Annotations?.TryGetValue(RunaiAnnotations.CalculatedStatus, out var s) == true ? s : null;

    private Task<MpiJob> GetAsync(string name) =>
        fixture.Admin.CustomObjects.GetNamespacedCustomObjectAsync<MpiJob>(MpiJob.KubeGroup, MpiJob.KubeApiVersion, Project, MpiJob.KubePluralName, name);

    private Task SetMemoryLabelAsync(string node, string? value)
    {
        var labels = new JsonObject { [GpuLabels.Memory] = value is null ? null : JsonValue.Create(value) };
        var body = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = labels } };
        return fixture.Admin.CoreV1.PatchNodeAsync(new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch), node);
    }

    internal static JsonObject ShortMpiJob(string name, double launcherSeconds, int workers = 2, int gpusPerWorker = 1) => new()
    {
        ["apiVersion"] = MpiJob.KubeGroupVersion,
        ["kind"] = MpiJob.KubeKind,
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Project },
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
                    ["restartPolicy"] = "Never",
                    ["template"] = new JsonObject
                    {
                        ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["sim.run.ai/run-seconds"] = launcherSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
                        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "launcher", ["image"] = "mpi:test" }) },
                    },
                },
                ["Worker"] = new JsonObject
                {
                    ["replicas"] = workers,
                    ["restartPolicy"] = "Never",
                    ["template"] = new JsonObject
                    {
                        ["spec"] = new JsonObject
                        {
                            ["affinity"] = new JsonObject
                            {
                                ["podAntiAffinity"] = new JsonObject
                                {
                                    ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonArray(new JsonObject
                                    {
                                        ["labelSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["training.kubeflow.org/job-name"] = name, ["training.kubeflow.org/job-role"] = "worker" } },
                                        ["topologyKey"] = "kubernetes.io/hostname",
                                    }),
                                },
                            },
                            ["containers"] = new JsonArray(new JsonObject
                            {
                                ["name"] = "worker",
                                ["image"] = "mpi:test",
                                ["resources"] = new JsonObject { ["limits"] = new JsonObject { ["nvidia.com/gpu"] = gpusPerWorker } },
                            }),
                        },
                    },
                },
            },
        },
    };
}
