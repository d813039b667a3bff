using k8s.Models;
using Runai.Core.Resources;

namespace Runai.Core.Workloads;

/// <summary>A workload by kind, namespace and name: what a pod, pod group or series belongs to.</summary>
public readonly record struct WorkloadRef(string Kind, string Namespace, string Name)
{
    public WorkloadKindInfo? KindInfo => WorkloadKinds.FindByKind(Kind);

    public override string ToString() => $"{Kind} {Namespace}/{Name}";
}

/// <summary>Which workload a pod belongs to, and its role in it.</summary>
public static class WorkloadIdentity
{
    /// <summary>
    /// The workload owning <paramref name="pod"/>: the <c>runai/workload-*</c> labels first (workload-controller
    /// and runai-admission set them), then the Kubeflow job labels of MPIJob pods, then a controller owner
    /// reference to a workload kind. Null for pods of no workload.
    /// </summary>
    public static WorkloadRef? Of(V1Pod pod)
    {
        var meta = pod.Metadata;
        var ns = meta?.NamespaceProperty ?? "";
        var labels = meta?.Labels;
        if (labels is not null)
        {
            if (labels.TryGetValue(RunaiLabels.WorkloadName, out var name) && !string.IsNullOrEmpty(name)
                && labels.TryGetValue(RunaiLabels.WorkloadKind, out var kind) && WorkloadKinds.FindByKind(kind) is not null)
                return new WorkloadRef(kind, ns, name);
            if (labels.TryGetValue(KubeflowLabels.JobName, out var job) && !string.IsNullOrEmpty(job)
                && (IsOwnedBy(pod, MpiJob.KubeKind) || labels.TryGetValue(KubeflowLabels.OperatorName, out var op) && op == KubeflowLabels.MpiOperator))
                return new WorkloadRef(MpiJob.KubeKind, ns, job);
        }
        foreach (var owner in meta?.OwnerReferences ?? [])
        {
            if (owner.Controller != true) continue;
            var info = WorkloadKinds.FindByKind(owner.Kind);
            if (info is not null && owner.ApiVersion == info.ApiVersion) return new WorkloadRef(owner.Kind, ns, owner.Name);
        }
        return null;
    }

    /// <summary>The workload an owner-referenced object (Job, Service, PodGroup…) belongs to, by its labels or controller owner.</summary>
    public static WorkloadRef? OfObject(V1ObjectMeta meta)
    {
        var ns = meta.NamespaceProperty ?? "";
        if (meta.Labels is { } labels && labels.TryGetValue(RunaiLabels.WorkloadName, out var name) && !string.IsNullOrEmpty(name)
            && labels.TryGetValue(RunaiLabels.WorkloadKind, out var kind) && WorkloadKinds.FindByKind(kind) is not null)
            return new WorkloadRef(kind, ns, name);
        foreach (var owner in meta.OwnerReferences ?? [])
            if (owner.Controller == true && WorkloadKinds.FindByKind(owner.Kind) is { } info && owner.ApiVersion == info.ApiVersion)
                return new WorkloadRef(owner.Kind, ns, owner.Name);
        return null;
    }

    /// <summary>True for the launcher pod of an MPIJob.</summary>
    public static bool IsLauncher(V1Pod pod) =>
        pod.Metadata?.Labels is { } labels && labels.TryGetValue(KubeflowLabels.JobRole, out var role) && role == KubeflowLabels.RoleLauncher;

    private static bool IsOwnedBy(V1Pod pod, string kind) =>
        pod.Metadata?.OwnerReferences?.Any(o => o.Kind == kind) == true;
}
