using k8s.Models;
using Runai.Core.Resources;
using Runai.Core.Workloads;

namespace Runai.Core.Scheduling;

/// <summary>What the scheduler reads from a workload object: its identity (for owner references) and its gang and placement rules.</summary>
public sealed record WorkloadInfo(
    WorkloadRef Ref,
    string ApiVersion,
    string? Uid,
    int MinMember,
    GpuQuantity GangGpus,
    string? PriorityClassName,
    IReadOnlyList<string> NodePools,
    Placement Placement,
    bool AntiAffinity,
    DateTime? CreatedAt)
{
    public static WorkloadInfo From(IRunaiWorkload workload)
    {
        var spec = workload.CommonSpec;
        var gang = WorkloadGang.For(workload);
        var meta = workload.Metadata;
        return new WorkloadInfo(new WorkloadRef(workload.KindInfo.Kind, meta.NamespaceProperty ?? "", meta.Name ?? ""),
            workload.KindInfo.ApiVersion, meta.Uid, gang.MinMember, gang.GangGpus, spec.PriorityClassName,
            spec.NodePools ?? [], spec.Placement, spec.AntiAffinity, meta.CreationTimestamp);
    }

    public static WorkloadInfo From(MpiJob job)
    {
        var gang = WorkloadGang.For(job);
        var meta = job.Metadata;
        var priorityClass = job.Spec.RunPolicy?.SchedulingPolicy?.PriorityClass
            ?? job.Worker?.Template.Spec?.PriorityClassName ?? job.Launcher?.Template.Spec?.PriorityClassName;
        return new WorkloadInfo(new WorkloadRef(MpiJob.KubeKind, meta.NamespaceProperty ?? "", meta.Name ?? ""),
            MpiJob.KubeGroupVersion, meta.Uid, Math.Max(1, gang.MinMember), gang.GangGpus, priorityClass,
            [], Placement.Binpack, false, meta.CreationTimestamp);
    }

    /// <summary>The key outcomes and bindings use: <c>Kind/namespace/name</c>.</summary>
    public static string KeyOf(WorkloadRef r) => $"{r.Kind}/{r.Namespace}/{r.Name}";

    /// <summary>The key of a pod that belongs to no workload: its own gang of one.</summary>
    public static string KeyOfLonePod(string ns, string name) => $"Pod/{ns}/{name}";
}
