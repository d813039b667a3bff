using k8s.Models;

namespace Runai.Sim.Tests.Operators.Support;

/// <summary>Small builders for the pods and nodes the stand-in tests reason about.</summary>
internal static class TestObjects
{
    public static V1Pod Pod(string name, string? node = null, string ns = "default", int gpus = 0, string cpu = "1", string memory = "1Gi",
        string restartPolicy = "Always", IDictionary<string, string>? annotations = null, IDictionary<string, string>? labels = null, string? phase = null)
    {
        var requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory) };
        var limits = new Dictionary<string, ResourceQuantity>();
        if (gpus > 0) limits["nvidia.com/gpu"] = new(gpus.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Uid = $"uid-{ns}-{name}",
                Annotations = annotations is null ? null : new Dictionary<string, string>(annotations),
                Labels = labels is null ? null : new Dictionary<string, string>(labels),
                CreationTimestamp = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            },
            Spec = new V1PodSpec
            {
                NodeName = node,
                RestartPolicy = restartPolicy,
                SchedulerName = "default-scheduler",
                Containers = [new V1Container { Name = "main", Image = "nvcr.io/nvidia/pytorch:24.05-py3", Resources = new V1ResourceRequirements { Requests = requests, Limits = limits } }],
            },
            Status = phase is null ? null : new V1PodStatus { Phase = phase },
        };
    }

    public static V1Node Node(string name, int gpus = 4, string cpu = "64", string memory = "1024Gi", bool ready = true, int pods = 110,
        IDictionary<string, string>? labels = null)
    {
        var allocatable = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(cpu),
            ["memory"] = new(memory),
            ["pods"] = new(pods.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (gpus > 0) allocatable["nvidia.com/gpu"] = new(gpus.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var nodeLabels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name };
        foreach (var (k, v) in labels ?? new Dictionary<string, string>()) nodeLabels[k] = v;
        return new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = nodeLabels },
            Spec = new V1NodeSpec(),
            Status = new V1NodeStatus
            {
                Allocatable = allocatable,
                Capacity = allocatable,
                Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False" }],
            },
        };
    }
}
