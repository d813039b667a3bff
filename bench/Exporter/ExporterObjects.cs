using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Bench.Exporter;

/// <summary>
/// The cluster the exporter benchmark loads: projects with a namespace each, GPU nodes, TrainingWorkloads annotated as
/// workload-controller keeps them, and their worker pods bound to nodes.
/// </summary>
internal sealed class ExporterObjects(int workloads, int podsPerWorkload, int nodes, int projects)
{
    public int Workloads => workloads;
    public int Pods => workloads * podsPerWorkload;
    public int Nodes => nodes;
    public int Projects => projects;

    public static string ProjectName(int p) => $"team-{p:D2}";
    public string WorkloadName(int w) => $"train-{w:D5}";
    public string NamespaceOf(int w) => ProjectName(w % projects);
    public string NodeName(int n) => $"gpu-node-{n:D4}";

    public byte[] Namespace(int p) => Bytes(new JsonObject
    {
        ["apiVersion"] = "v1", ["kind"] = "Namespace",
        ["metadata"] = new JsonObject { ["name"] = ProjectName(p), ["labels"] = new JsonObject { ["project"] = ProjectName(p) } },
    });

    public byte[] Project(int p) => Bytes(new JsonObject
    {
        ["apiVersion"] = "run.ai/v2alpha1", ["kind"] = "Project",
        ["metadata"] = new JsonObject { ["name"] = ProjectName(p) },
        ["spec"] = new JsonObject { ["namespace"] = ProjectName(p), ["gpus"] = new JsonObject { ["quota"] = 64, ["limit"] = 256 } },
    });

    public byte[] Node(int n)
    {
        JsonObject Resources() => new() { ["cpu"] = "96", ["memory"] = "2048Gi", ["pods"] = "110", ["nvidia.com/gpu"] = "8" };
        return Bytes(new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Node",
            ["metadata"] = new JsonObject
            {
                ["name"] = NodeName(n),
                ["labels"] = new JsonObject
                {
                    ["kubernetes.io/hostname"] = NodeName(n), ["runai/node-pool"] = $"pool-{n % 4}",
                    ["nvidia.com/gpu.product"] = "NVIDIA-H200", ["nvidia.com/gpu.count"] = "8", ["nvidia.com/gpu.memory"] = "143771",
                },
            },
            ["status"] = new JsonObject
            {
                ["capacity"] = Resources(), ["allocatable"] = Resources(),
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["reason"] = "KubeletReady" }),
            },
        });
    }

    public byte[] Workload(int w) => Bytes(new JsonObject
    {
        ["apiVersion"] = "run.ai/v2alpha1", ["kind"] = "TrainingWorkload",
        ["metadata"] = new JsonObject
        {
            ["name"] = WorkloadName(w), ["namespace"] = NamespaceOf(w),
            ["labels"] = new JsonObject { ["user"] = $"user-{w % 97}" },
            ["annotations"] = Annotations(w, allocated: podsPerWorkload),
        },
        ["spec"] = new JsonObject
        {
            ["image"] = "nvcr.io/nvidia/pytorch:24.12-py3", ["gpus"] = 1, ["workers"] = podsPerWorkload,
            ["priorityClassName"] = "train", ["nodePools"] = new JsonArray($"pool-{w % 4}"),
        },
    });

    public JsonObject Annotations(int w, int allocated) => new()
    {
        ["runai-calculated-status"] = "Running",
        ["runai-pending-pods"] = "0",
        ["runai-running-pods"] = podsPerWorkload.ToString(CultureInfo.InvariantCulture),
        ["runai-current-allocated-gpus"] = allocated.ToString(CultureInfo.InvariantCulture),
        ["runai-current-allocated-gpus-memory"] = (allocated * 143771L).ToString(CultureInfo.InvariantCulture),
        ["runai-current-requested-gpus"] = podsPerWorkload.ToString(CultureInfo.InvariantCulture),
        ["runai-total-requested-gpus"] = podsPerWorkload.ToString(CultureInfo.InvariantCulture),
        ["runai-podgroup-requested-gpus"] = podsPerWorkload.ToString(CultureInfo.InvariantCulture),
        ["runai-podgroup-requested-gpus-memory"] = "0",
        ["runai-preemptions"] = (w % 3).ToString(CultureInfo.InvariantCulture),
    };

    public byte[] Pod(int i)
    {
        var w = i / podsPerWorkload;
        return Bytes(new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{WorkloadName(w)}-worker-{i % podsPerWorkload}", ["namespace"] = NamespaceOf(w),
                ["labels"] = new JsonObject
                {
                    ["runai/workload-name"] = WorkloadName(w), ["runai/workload-kind"] = "TrainingWorkload",
                    ["project"] = NamespaceOf(w), ["app"] = "trainer",
                },
            },
            ["spec"] = new JsonObject
            {
                ["nodeName"] = NodeName(i % nodes),
                ["schedulerName"] = "runai-scheduler",
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "worker", ["image"] = "nvcr.io/nvidia/pytorch:24.12-py3",
                    ["command"] = new JsonArray("torchrun", "/workspace/train.py"),
                    ["resources"] = new JsonObject
                    {
                        ["requests"] = new JsonObject { ["cpu"] = "8", ["memory"] = "64Gi", ["nvidia.com/gpu"] = "1" },
                        ["limits"] = new JsonObject { ["nvidia.com/gpu"] = "1" },
                    },
                }),
            },
        });
    }

    private static byte[] Bytes(JsonObject o) => JsonSerializer.SerializeToUtf8Bytes(o);
}
