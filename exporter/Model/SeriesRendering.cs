using Runai.Core;
using Runai.Exporter.Exposition;
using F = Runai.Exporter.Model.ExporterFamilies;

namespace Runai.Exporter.Model;

/// <summary>Turns one object's values into its pre-rendered series. Pure.</summary>
internal static class SeriesRendering
{
    /// <summary>Pod phases of <c>runai_workload_pods</c>, lower-case like the status values.</summary>
    public static readonly IReadOnlyList<string> PodPhases = ["pending", "running", "succeeded", "failed"];

    public static ObjectSeries Workload(FamilyGroup group, WorkloadView view)
    {
        var b = group.Builder();
        (string, string?) workload = ("workload", view.Ref.Name), ns = ("namespace", view.Ref.Namespace),
            project = ("project", view.Project), type = ("type", view.Ref.Kind);
        var current = view.Status is null ? null : WorkloadStatus.ToMetricValue(view.Status);
        foreach (var status in WorkloadStatus.AllMetricValues)
        {
            b.Add(F.WorkloadStatus, status == current ? 1 : 0, workload, ns, project, type, ("status", status));
        }

        b.Add(F.WorkloadGpuAllocation, view.AllocatedGpus.ToDouble(), workload, ns, project, type);
        b.AddTimed(F.WorkloadRuntime, view.Runtime.Seconds, view.Runtime.Since, workload, ns, project, type);
        b.AddTimed(F.WorkloadQueueTime, view.QueueTime.Seconds, view.QueueTime.Since, workload, ns, project, type);
        b.Add(F.WorkloadPreemptions, view.Preemptions, workload, ns, project, type);
        b.Add(F.WorkloadInfo, 1, workload, ns, project, type, ("user", view.User), ("node_pool", view.NodePool), ("priority_class", view.PriorityClass));
        b.Add(F.WorkloadRequestedGpus, view.RequestedGpus.ToDouble(), workload, ns, project, type);
        b.Add(F.WorkloadAllocatedGpuMemory, view.AllocatedGpuMemoryBytes, workload, ns, project, type);
        int[] counts = [view.Pods.Pending, view.Pods.Running, view.Pods.Succeeded, view.Pods.Failed];
        for (var i = 0; i < PodPhases.Count; i++)
        {
            b.Add(F.WorkloadPods, counts[i], workload, ns, project, type, ("phase", PodPhases[i]));
        }

        return b.Build();
    }

    public static ObjectSeries Project(FamilyGroup group, ProjectFacts project, GpuQuantity allocated, int pendingWorkloads)
    {
        var b = group.Builder();
        var label = ("project", (string?)project.Name);
        b.Add(F.ProjectGpuQuota, project.Quota.ToDouble(), label);
        if (project.Limit is { } limit) b.Add(F.ProjectGpuLimit, limit.ToDouble(), label);
        b.Add(F.ProjectAllocatedGpus, allocated.ToDouble(), label);
        b.Add(F.ProjectOverQuotaGpus, GpuQuantity.SubtractOrZero(allocated, project.Quota).ToDouble(), label);
        b.Add(F.ProjectPendingWorkloads, pendingWorkloads, label);
        return b.Build();
    }

    public static ObjectSeries Node(FamilyGroup group, NodeFacts node, GpuQuantity allocated)
    {
        ReadOnlySpan<(string, string?)> labels =
        [
            ("node", node.Name), ("node_pool", node.Pool), ("model", node.Model), ("ready", node.Ready),
            ("schedulable", node.Schedulable ? "true" : "false"),
        ];
        return group.Builder()
            .Add(F.NodeGpus, node.Gpus.ToDouble(), labels)
            .Add(F.NodeAllocatedGpus, allocated.ToDouble(), labels)
            .Build();
    }

    /// <summary>A component's Deployment replicas (when it has a Deployment) and its pods' restarts.</summary>
    public static ObjectSeries Component(FamilyGroup group, string component, (int Desired, int Ready)? replicas, IEnumerable<PodFacts> pods)
    {
        var b = group.Builder();
        var label = ("component", (string?)component);
        if (replicas is { } r)
        {
            b.Add(F.ComponentReplicas, r.Desired, label, ("state", "desired"));
            b.Add(F.ComponentReplicas, r.Ready, label, ("state", "ready"));
        }

        var byReason = new SortedDictionary<string, int>(StringComparer.Ordinal);
        DateTimeOffset? last = null;
        foreach (var pod in pods)
        {
            foreach (var (reason, count) in pod.Restarts) byReason[reason] = byReason.GetValueOrDefault(reason) + count;
            if (pod.LastRestart is { } at && (last is null || at > last)) last = at;
        }

        foreach (var (reason, count) in byReason) b.Add(F.ComponentContainerRestarts, count, label, ("reason", reason));
        if (last is { } lastRestart) b.Add(F.ComponentLastRestart, lastRestart.ToUnixTimeMilliseconds() / 1000.0, label);
        return b.Build();
    }

    public static ObjectSeries DaemonSet(FamilyGroup group, string name, int desired, int ready) =>
        group.Builder()
            .Add(F.DaemonSetNodes, desired, ("daemonset", name), ("state", "desired"))
            .Add(F.DaemonSetNodes, ready, ("daemonset", name), ("state", "ready"))
            .Build();

    public static ObjectSeries Lease(FamilyGroup group, string name, string? holder, DateTimeOffset? renewed)
    {
        var b = group.Builder();
        if (renewed is { } at) b.AddTimed(F.LeaseRenewAge, 0, at, ("lease", name));
        b.Add(F.LeaseInfo, 1, ("lease", name), ("holder", holder ?? ""));
        return b.Build();
    }
}
