using System.Net.Http;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.NodeDaemon.Hosting;
using Runai.NodeDaemon.Tests.Support;
using Runai.Sim;
using Runai.Sim.Kubelet;

namespace Runai.NodeDaemon.Tests.Attribution;

/// <summary>
/// The whole exporter in-process against a simulated cluster: a simulated kubelet serving pod-resources on its unix
/// socket, the API server for pods and the node, and the NVML test library describing the same GPUs (same UUIDs).
/// </summary>
public sealed class AttributionTests : IAsyncLifetime
{
    private readonly string node = "gpu-node-" + Guid.NewGuid().ToString("N")[..6];
    private readonly string sockets = Directory.CreateTempSubdirectory("kubelet-").FullName;
    private readonly CancellationTokenSource stop = new();
    private readonly NvmlSim nvml = new();
    private SimCluster cluster = null!;
    private Kubernetes client = null!;
    private Task fleetRun = Task.CompletedTask;
    private NodeExporter? exporter;

    public async Task InitializeAsync()
    {
        cluster = await SimCluster.StartAsync(new SimClusterOptions { StartWorkloadSimulation = false });
        client = cluster.CreateClient();
        var fleet = new KubeletFleet(cluster.CreateClient(), [new SimNodeSpec { Name = node, Gpus = 4, GpuMemoryMiB = 75377 }], sockets, NullLoggerFactory.Instance);
        fleetRun = fleet.RunAsync(stop.Token);
        await fleet.Started.WaitAsync(TimeSpan.FromSeconds(30));
        // The driver reports another model and memory than the node was registered with, so only the exporter can make the labels say so.
        nvml.Write(string.Concat(Enumerable.Range(0, 4).Select(i =>
            NvmlSim.Gpu(i, GpuAllocator.UuidOf(node, i), name: "NVIDIA H100 80GB HBM3", memoryMiB: 81559))));
    }

    public async Task DisposeAsync()
    {
        if (exporter is not null) await exporter.DisposeAsync();
        await stop.CancelAsync();
        await fleetRun.WaitAsync(TimeSpan.FromSeconds(10));
        await cluster.DisposeAsync();
        nvml.Dispose();
        Directory.Delete(sockets, recursive: true);
    }

    private NodeExporter Start()
    {
        exporter = new NodeExporter(new DaemonOptions
        {
            Node = node,
            Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
            Interval = TimeSpan.FromMilliseconds(200),
            AttributionInterval = TimeSpan.FromMilliseconds(300),
            NvmlLibrary = nvml.Directory,
            PodResourcesSocket = PodResourcesServer.SocketPath(sockets, node),
            Kubeconfig = cluster.KubeconfigPath,
        });
        exporter.Start();
        return exporter;
    }

    private async Task CreateGpuPodAsync(string name, int gpus, Dictionary<string, string> labels, List<V1OwnerReference>? owners = null) =>
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels, OwnerReferences = owners },
            Spec = new V1PodSpec
            {
                NodeName = node,
                Containers =
                [
                    new V1Container
                    {
                        Name = "trainer", Image = "busybox:1.36",
                        Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new(gpus.ToString()) } },
                    },
                ],
            },
        }, "default");

    private static async Task<string> ScrapeAsync(NodeExporter e)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync($"http://{e.MetricsEndPoint}/metrics");
    }

    [Fact]
    public async Task GpusHeldByAPodCarryItsPodAndWorkloadAndTheOthersDoNot()
    {
        await CreateGpuPodAsync("mpi-worker-0", 2, new()
        {
            ["training.kubeflow.org/job-name"] = "nccl-check",
            ["training.kubeflow.org/job-role"] = "worker",
            ["training.kubeflow.org/operator-name"] = "mpi-operator",
        });
        var e = Start();

        var page = "";
        await Eventually.TrueAsync(async () => (page = await ScrapeAsync(e)).Contains("pod=\"mpi-worker-0\""), "the GPUs of mpi-worker-0 carry its pod label");

        for (var i = 0; i < 2; i++)
        {
            Assert.Contains($"runai_gpu_utilization_ratio{{gpu=\"{i}\",uuid=\"{GpuAllocator.UuidOf(node, i)}\",model=\"NVIDIA H100 80GB HBM3\",pci_bus_id=\"00000000:{0x17 + i * 0x10:x2}:00.0\",node=\"{node}\"," +
                            "namespace=\"default\",pod=\"mpi-worker-0\",container=\"trainer\",workload=\"nccl-check\"} 0.35", page);
        }
        for (var i = 2; i < 4; i++)
        {
            Assert.Contains($"runai_gpu_up{{gpu=\"{i}\",uuid=\"{GpuAllocator.UuidOf(node, i)}\",model=\"NVIDIA H100 80GB HBM3\",pci_bus_id=\"00000000:{0x17 + i * 0x10:x2}:00.0\",node=\"{node}\",namespace=\"\",pod=\"\",container=\"\",workload=\"\"}} 1", page);
        }
        Assert.Contains("runai_node_exporter_pod_resources_up 1", page);

        // The pod goes: its GPUs lose the labels.
        await client.CoreV1.DeleteNamespacedPodAsync("mpi-worker-0", "default", gracePeriodSeconds: 0);
        await Eventually.TrueAsync(async () => !(await ScrapeAsync(e)).Contains("pod=\"mpi-worker-0\""), "the deleted pod's labels are gone");
    }

    [Fact]
    public async Task TheSimulatedKubeletsDriverFileShowsItsGpusBusyWhereHeld()
    {
        // What ./run.sh's stack does: the exporter reads the GPU file the node's kubelet keeps.
        nvml.UseConfig(NvmlDeviceFile.PathOf(sockets, node));
        await CreateGpuPodAsync("busy-0", 1, new() { ["runai/workload-name"] = "busy", ["runai/workload-kind"] = "RunaiJob" });
        var e = Start();

        var page = "";
        await Eventually.TrueAsync(async () => (page = await ScrapeAsync(e)).Contains("pod=\"busy-0\",container=\"trainer\",workload=\"busy\"} 0.92"),
            "the GPU held by busy-0 is busy and names its pod");
        var held = GpuAllocator.UuidOf(node, 0);
        Assert.Contains($"runai_gpu_memory_total_bytes{{gpu=\"0\",uuid=\"{held}\",model=\"NVIDIA H200\"", page);
        Assert.Contains($"runai_gpu_utilization_ratio{{gpu=\"1\",uuid=\"{GpuAllocator.UuidOf(node, 1)}\",model=\"NVIDIA H200\",pci_bus_id=\"00000000:28:00.0\",node=\"{node}\",namespace=\"\",pod=\"\",container=\"\",workload=\"\"}} 0", page);
        Assert.Equal(4, page.Split('\n').Count(l => l.StartsWith("runai_gpu_up{", StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ARunaiWorkloadIsNamedByItsLabels()
    {
        await CreateGpuPodAsync("train-abc-0", 1, new() { ["runai/workload-name"] = "train-abc", ["runai/workload-kind"] = "TrainingWorkload" });
        var e = Start();

        await Eventually.TrueAsync(async () => (await ScrapeAsync(e)).Contains("pod=\"train-abc-0\",container=\"trainer\",workload=\"train-abc\""),
            "the GPU of train-abc-0 names its workload");
    }

    [Fact]
    public async Task TheNodeGpuLabelsFollowTheDriverAndNoOtherLabelIsTouched()
    {
        var before = await client.CoreV1.ReadNodeAsync(node);
        Assert.Equal("NVIDIA-H200", before.Metadata.Labels["nvidia.com/gpu.product"]);
        var patch = new V1Patch("""{"metadata":{"labels":{"team":"vision","nvidia.com/gpu.count":"9"}}}""", V1Patch.PatchType.MergePatch);
        await client.CoreV1.PatchNodeAsync(patch, node);
        var others = (await client.CoreV1.ReadNodeAsync(node)).Metadata.Labels.Where(l => !l.Key.StartsWith("nvidia.com/gpu.", StringComparison.Ordinal)).ToDictionary();

        var e = Start();
        V1Node after = before;
        await Eventually.TrueAsync(async () => (after = await client.CoreV1.ReadNodeAsync(node)).Metadata.Labels["nvidia.com/gpu.product"] == "NVIDIA-H100-80GB-HBM3",
            "the node's product label follows NVML");

        Assert.Equal("4", after.Metadata.Labels["nvidia.com/gpu.count"]);
        Assert.Equal("81559", after.Metadata.Labels["nvidia.com/gpu.memory"]);
        Assert.Equal(others, after.Metadata.Labels.Where(l => !l.Key.StartsWith("nvidia.com/gpu.", StringComparison.Ordinal)).ToDictionary());
        Assert.Equal(1UL, e.Labeler!.Updates);
    }
}
