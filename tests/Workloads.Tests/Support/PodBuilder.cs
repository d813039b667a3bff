using k8s.Models;
using Runai.Core;

namespace Runai.Workloads.Tests.Support;

/// <summary>Pods in the states a workload's pods go through, for the pure calculation tests.</summary>
public static class PodBuilder
{
    /// <summary>Where a gang member is in its life.</summary>
    public enum Stage
    {
        Unscheduled,
        Starting,
        Running,
        Succeeded,
        Failed,
    }

    public static V1Pod Worker(string name, Stage stage, string? node = null, int gpus = 2, string? fraction = null, long? memoryMiB = null)
    {
        var bound = stage != Stage.Unscheduled;
        var annotations = new Dictionary<string, string>();
        if (fraction is not null) annotations[RunaiExtraAnnotations.GpuFraction] = fraction;
        if (memoryMiB is { } mib) annotations[RunaiExtraAnnotations.GpuMemory] = mib.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var resources = gpus > 0 && fraction is null && memoryMiB is null
            ? new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { [GpuLabels.ResourceName] = new(gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)) } }
            : null;
        return new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = "my-project",
                Labels = new Dictionary<string, string>
                {
                    [KubeflowLabels.JobName] = "job",
                    [KubeflowLabels.JobRole] = KubeflowLabels.RoleWorker,
                    [KubeflowLabels.OperatorName] = KubeflowLabels.MpiOperator,
                },
                Annotations = annotations.Count == 0 ? null : annotations,
            },
            Spec = new V1PodSpec
            {
                NodeName = bound ? node ?? "node-" + name : null,
                Containers = [new V1Container { Name = "worker", Resources = resources }],
            },
            Status = new V1PodStatus
            {
                Phase = stage switch
                {
                    Stage.Running => "Running",
                    Stage.Succeeded => "Succeeded",
                    Stage.Failed => "Failed",
                    _ => "Pending",
                },
            },
        };
    }

    public static V1Pod Launcher(Stage stage, string node = "launcher-node")
    {
        var pod = Worker("job-launcher", stage, node, gpus: 0);
        pod.Metadata.Labels[KubeflowLabels.JobRole] = KubeflowLabels.RoleLauncher;
        return pod;
    }
}
