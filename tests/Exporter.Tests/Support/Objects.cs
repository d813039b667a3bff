using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;

namespace Runai.Exporter.Tests.Support;

/// <summary>API objects as the cluster holds them, for the model and exposition tests.</summary>
internal static class Objects
{
    public static readonly DateTime T0 = new(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc);

    public static TrainingWorkload Training(string name, string ns, int workers = 2, int gpus = 2, IDictionary<string, string>? annotations = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name, NamespaceProperty = ns, CreationTimestamp = T0, Annotations = annotations,
            Labels = new Dictionary<string, string> { ["user"] = "alice" },
        },
        Spec = new TrainingWorkloadSpec { Image = "pytorch", Gpus = gpus, Workers = workers, PriorityClassName = "train", NodePools = ["gpu-h200-pool"] },
    };

    public static Dictionary<string, string> Annotations(string status, string allocated = "0", string memory = "0", string requested = "0", string? preemptions = null)
    {
        var a = new Dictionary<string, string>
        {
            [RunaiAnnotations.CalculatedStatus] = status,
            [RunaiAnnotations.CurrentAllocatedGpus] = allocated,
            [RunaiAnnotations.CurrentAllocatedGpusMemory] = memory,
            [RunaiAnnotations.TotalRequestedGpus] = requested,
        };
        if (preemptions is not null) a[RunaiExtraAnnotations.Preemptions] = preemptions;
        return a;
    }

    public static V1Pod Pod(string name, string ns, string workload, string kind, string? node, string phase, int gpus, DateTime? scheduled = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name, NamespaceProperty = ns, CreationTimestamp = T0,
            Labels = new Dictionary<string, string> { [RunaiLabels.WorkloadName] = workload, [RunaiLabels.WorkloadKind] = kind, [RunaiLabels.Project] = "team" },
        },
        Spec = new V1PodSpec
        {
            NodeName = node,
            Containers =
            [
                new V1Container
                {
                    Name = "main",
                    Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { [GpuLabels.ResourceName] = new(gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)) } },
                },
            ],
        },
        Status = new V1PodStatus
        {
            Phase = phase,
            StartTime = phase == "Running" ? T0.AddSeconds(30) : null,
            Conditions = node is null ? [] : [new V1PodCondition { Type = "PodScheduled", Status = "True", LastTransitionTime = scheduled ?? T0.AddSeconds(20) }],
        },
    };

    public static V1Node Node(string name, int gpus = 4, long memoryMiB = 75377, bool ready = true) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string>
            {
                [RunaiLabels.NodePool] = "gpu-h200-pool", [GpuLabels.Product] = "NVIDIA-H200",
                [GpuLabels.Count] = gpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [GpuLabels.Memory] = memoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        },
        Status = new V1NodeStatus
        {
            Allocatable = new Dictionary<string, ResourceQuantity> { [GpuLabels.ResourceName] = new(gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
            Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False" }],
        },
    };

    public static Project Project(string name, string ns, int quota, int? limit) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new ProjectSpec { Namespace = ns, Gpus = new ProjectGpus { Quota = quota, Limit = limit is { } l ? GpuQuantity.FromDevices(l) : null } },
    };
}
