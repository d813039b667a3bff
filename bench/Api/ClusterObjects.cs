using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Bench;

/// <summary>
/// The benchmark's cluster: GPU nodes, and pods shaped like a training workload's (labels, one container with
/// requests and limits, bound to a node) whose status a kubelet would have written. Pod i lives in namespace
/// i mod Namespaces on node i mod Nodes and carries app=trainer-(i mod 100), so selector results are known counts.
/// </summary>
internal sealed class ClusterObjects(ApiBenchScale scale)
{
    private const string Started = "2026-01-01T00:00:00Z";

    public static int AppLabelModulus => 100;

    public string NodeName(int i) => $"node-{i % scale.Nodes:D4}";
    public string NamespaceName(int i) => $"bench-{i % scale.Namespaces:D2}";
    public string PodName(int i) => $"trainer-{i:D6}";
    public string PodPath(int i) => $"api/v1/namespaces/{NamespaceName(i)}/pods/{PodName(i)}";
    public static string AppLabel(int i) => $"trainer-{i % AppLabelModulus}";

    public byte[] Namespace(int i) => Bytes(new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = new JsonObject { ["name"] = NamespaceName(i), ["labels"] = new JsonObject { ["runai/queue"] = $"team-{i}" } },
    });

    public byte[] Node(int i)
    {
        var name = NodeName(i);
        JsonObject Resources() => new() { ["cpu"] = "64", ["memory"] = "512Gi", ["pods"] = "110", ["nvidia.com/gpu"] = "8", ["ephemeral-storage"] = "1Ti" };
        JsonObject Condition(string type, string status, string reason) => new()
        {
            ["type"] = type, ["status"] = status, ["reason"] = reason,
            ["lastHeartbeatTime"] = Started, ["lastTransitionTime"] = Started,
        };
        return Bytes(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = new JsonObject
                {
                    ["kubernetes.io/hostname"] = name,
                    ["kubernetes.io/os"] = "linux",
                    ["kubernetes.io/arch"] = "amd64",
                    ["node.kubernetes.io/instance-type"] = "gpu-8x-h100",
                    ["nvidia.com/gpu.product"] = "NVIDIA-H100-80GB-HBM3",
                    ["nvidia.com/gpu.count"] = "8",
                    ["run.ai/node-pool"] = $"pool-{i % 4}",
                },
            },
            ["spec"] = new JsonObject { ["podCIDR"] = $"10.{i / 256 % 256}.{i % 256}.0/24", ["providerID"] = $"sim://{name}" },
            ["status"] = new JsonObject
            {
                ["capacity"] = Resources(),
                ["allocatable"] = Resources(),
                ["conditions"] = new JsonArray(
                    Condition("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                    Condition("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                    Condition("PIDPressure", "False", "KubeletHasSufficientPID"),
                    Condition("Ready", "True", "KubeletReady")),
                ["addresses"] = new JsonArray(
                    new JsonObject { ["type"] = "InternalIP", ["address"] = $"192.168.{i / 256 % 256}.{i % 256}" },
                    new JsonObject { ["type"] = "Hostname", ["address"] = name }),
                ["nodeInfo"] = new JsonObject
                {
                    ["kubeletVersion"] = "v1.32.4", ["containerRuntimeVersion"] = "containerd://1.7.24",
                    ["kernelVersion"] = "6.8.0-51-generic", ["osImage"] = "Ubuntu 24.04.1 LTS",
                    ["operatingSystem"] = "linux", ["architecture"] = "amd64",
                    ["machineID"] = $"{i:x32}", ["systemUUID"] = $"{i:x32}", ["bootID"] = $"{i:x32}",
                },
            },
        });
    }

    public byte[] Pod(int i)
    {
        var workload = $"job-{i / 8:D5}";
        return Bytes(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = PodName(i),
                ["namespace"] = NamespaceName(i),
                ["labels"] = new JsonObject
                {
                    ["app"] = AppLabel(i),
                    ["workloadName"] = workload,
                    ["runai/queue"] = $"team-{i % scale.Namespaces}",
                    ["run.ai/workload-kind"] = "TrainingWorkload",
                    ["training.kubeflow.org/replica-index"] = (i % 8).ToString(CultureInfo.InvariantCulture),
                },
                ["annotations"] = new JsonObject { ["run.ai/gpu-fraction"] = "1", ["run.ai/submitted-by"] = "bench@example.com" },
            },
            ["spec"] = new JsonObject
            {
                ["nodeName"] = NodeName(i),
                ["schedulerName"] = "runai-scheduler",
                ["restartPolicy"] = "Never",
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "trainer",
                    ["image"] = "nvcr.io/nvidia/pytorch:24.12-py3",
                    ["command"] = new JsonArray("torchrun", "--nproc-per-node=1", "/workspace/train.py"),
                    ["env"] = new JsonArray(
                        new JsonObject { ["name"] = "WORKLOAD", ["value"] = workload },
                        new JsonObject { ["name"] = "NCCL_DEBUG", ["value"] = "WARN" }),
                    ["ports"] = new JsonArray(new JsonObject { ["name"] = "metrics", ["containerPort"] = 9090, ["protocol"] = "TCP" }),
                    ["resources"] = new JsonObject
                    {
                        ["requests"] = new JsonObject { ["cpu"] = "4", ["memory"] = "32Gi", ["nvidia.com/gpu"] = "1" },
                        ["limits"] = new JsonObject { ["cpu"] = "8", ["memory"] = "64Gi", ["nvidia.com/gpu"] = "1" },
                    },
                }),
            },
        });
    }

    /// <summary>What a kubelet writes once the pod runs (the server resets status on create, as a real one does).</summary>
    public byte[] RunningStatus(int i) => Bytes(new JsonObject
    {
        ["status"] = new JsonObject
        {
            ["phase"] = "Running",
            ["hostIP"] = $"192.168.{i % scale.Nodes / 256 % 256}.{i % scale.Nodes % 256}",
            ["podIP"] = $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}",
            ["startTime"] = Started,
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "Initialized", ["status"] = "True", ["lastTransitionTime"] = Started },
                new JsonObject { ["type"] = "Ready", ["status"] = "True", ["lastTransitionTime"] = Started },
                new JsonObject { ["type"] = "ContainersReady", ["status"] = "True", ["lastTransitionTime"] = Started },
                new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastTransitionTime"] = Started }),
            ["containerStatuses"] = new JsonArray(new JsonObject
            {
                ["name"] = "trainer",
                ["ready"] = true,
                ["started"] = true,
                ["restartCount"] = 0,
                ["image"] = "nvcr.io/nvidia/pytorch:24.12-py3",
                ["imageID"] = "nvcr.io/nvidia/pytorch@sha256:" + new string('0', 64),
                ["containerID"] = $"containerd://{i:x64}",
                ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = Started } },
            }),
        },
    });

    /// <summary>A small status change, as a kubelet's or controller's heartbeat; unique so every patch is a real change.</summary>
    public static byte[] StatusUpdate(int n) => Bytes(new JsonObject { ["status"] = new JsonObject { ["message"] = $"bench update {n}" } });

    private static byte[] Bytes(JsonObject o) => JsonSerializer.SerializeToUtf8Bytes(o);
}
