using System.Globalization;
using k8s.Models;
using Runai.Core.Resources;
using Runai.Core.Workloads;

namespace Runai.Core.Scheduling;

/// <summary>A pod the scheduler bound but whose binding its cache has not shown yet (kube-scheduler's "assumed" pods).</summary>
public readonly record struct AssumedPod(string Node, int? GpuIndex);

/// <summary>Everything the component needs besides the snapshot: which pods and workloads its keys stand for.</summary>
public sealed class SnapshotContext
{
    /// <summary>Pods the cycle may bind, by <c>namespace/name</c>.</summary>
    public Dictionary<string, V1Pod> PendingPods { get; } = new(StringComparer.Ordinal);

    /// <summary>Per workload key: its object's facts (null when the object is not known) and its pods that are active.</summary>
    public Dictionary<string, WorkloadPods> Workloads { get; } = new(StringComparer.Ordinal);

    /// <summary>Pods whose GPU annotations are malformed (not scheduled), with what is wrong.</summary>
    public List<(V1Pod Pod, string Problem)> Problems { get; } = [];

    /// <summary>Namespace → project name.</summary>
    public Dictionary<string, string> ProjectOfNamespace { get; } = new(StringComparer.Ordinal);
}

/// <summary>The pods of one workload in a snapshot.</summary>
public sealed class WorkloadPods(string key, WorkloadRef? reference, WorkloadInfo? info, string? project)
{
    public string Key { get; } = key;
    public WorkloadRef? Ref { get; } = reference;
    public WorkloadInfo? Info { get; } = info;
    public string? Project { get; } = project;
    public List<V1Pod> Pending { get; } = [];
    public List<V1Pod> Bound { get; } = [];
    public int Running { get; set; }
}

/// <summary>
/// Turns API objects into a <see cref="ClusterSnapshot"/> (pure): nodes with their pool, GPUs, device memory and
/// allocatable CPU/memory; projects by namespace; every pod holding a node (whatever scheduled it) as bound;
/// pods of <see cref="RunaiComponents.SchedulerName"/> without a node as pending, grouped by workload with the gang,
/// priority and placement rules of the workload object.
/// </summary>
public static class SnapshotBuilder
{
    public static (ClusterSnapshot Snapshot, SnapshotContext Context) Build(
        IReadOnlyList<V1Node> nodes,
        IReadOnlyList<Project> projects,
        IReadOnlyList<V1Pod> pods,
        Func<WorkloadRef, WorkloadInfo?> workloads,
        SchedulingPolicy policy,
        IReadOnlyDictionary<string, AssumedPod>? assumed = null,
        string schedulerName = RunaiComponents.SchedulerName)
    {
        var context = new SnapshotContext();
        var nodeIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var schedulingNodes = new List<SchedulingNode>(nodes.Count);
        foreach (var node in nodes.OrderBy(n => n.Metadata?.Name, StringComparer.Ordinal))
        {
            var name = node.Metadata?.Name;
            if (string.IsNullOrEmpty(name)) continue;
            nodeIndex[name] = schedulingNodes.Count;
            schedulingNodes.Add(NodeOf(node));
        }

        var schedulingProjects = new List<SchedulingProject>(projects.Count);
        foreach (var project in projects.OrderBy(p => p.Metadata?.Name, StringComparer.Ordinal))
        {
            var name = project.Metadata?.Name;
            if (string.IsNullOrEmpty(name)) continue;
            context.ProjectOfNamespace.TryAdd(project.EffectiveNamespace, name);
            var gpus = project.Spec.Gpus;
            schedulingProjects.Add(new SchedulingProject(name, GpuMilli.Of(gpus.Quota), gpus.Limit is { } l ? GpuMilli.Of(l) : null,
                Math.Max(1, gpus.OverQuotaWeight), (int)project.Spec.Priority, project.Spec.NodePools ?? []));
        }

        var bound = new List<BoundPod>();
        var infos = new Dictionary<string, WorkloadInfo?>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            var meta = pod.Metadata;
            if (meta?.Name is null) continue;
            var ns = meta.NamespaceProperty ?? "";
            var podKey = ns + "/" + meta.Name;
            var phase = pod.Status?.Phase;
            if (phase is "Succeeded" or "Failed") continue;
            var nodeName = pod.Spec?.NodeName;
            AssumedPod assumedPod = default;
            var isAssumed = string.IsNullOrEmpty(nodeName) && assumed is not null && assumed.TryGetValue(podKey, out assumedPod);
            if (isAssumed) nodeName = assumedPod.Node;
            var ours = pod.Spec?.SchedulerName == schedulerName;
            if (string.IsNullOrEmpty(nodeName) && (!ours || meta.DeletionTimestamp is not null)) continue;

            var reference = WorkloadIdentity.Of(pod);
            var key = reference is { } r ? WorkloadInfo.KeyOf(r) : WorkloadInfo.KeyOfLonePod(ns, meta.Name);
            if (!infos.TryGetValue(key, out var info))
            {
                info = reference is { } rr ? workloads(rr) : null;
                infos[key] = info;
            }

            var project = context.ProjectOfNamespace.GetValueOrDefault(ns);
            if (!context.Workloads.TryGetValue(key, out var group))
            {
                context.Workloads[key] = group = new WorkloadPods(key, reference, info, project);
            }

            var className = info?.PriorityClassName ?? pod.Spec?.PriorityClassName;
            var priority = policy.PriorityOf(className, pod.Spec?.Priority);
            var preemptible = policy.IsPreemptible(className, priority);
            if (!string.IsNullOrEmpty(nodeName))
            {
                if (!nodeIndex.TryGetValue(nodeName, out var n)) continue;
                group.Bound.Add(pod);
                if (phase == "Running") group.Running++;
                int? device = isAssumed ? assumedPod.GpuIndex : SharedDeviceOf(meta);
                bound.Add(new BoundPod(DemandOf(pod, podKey), key, project, n, device, priority, preemptible,
                    OrderOf(info?.CreatedAt ?? meta.CreationTimestamp), meta.DeletionTimestamp is not null));
                continue;
            }

            if (PodGpus.Validate(meta) is { } problem)
            {
                context.Problems.Add((pod, problem));
                continue;
            }

            group.Pending.Add(pod);
            context.PendingPods[podKey] = pod;
        }

        var pending = new List<WorkloadDemand>();
        foreach (var group in context.Workloads.Values)
        {
            if (group.Pending.Count == 0) continue;
            // Workers before the launcher, then by name: the gang is made of the first pods.
            group.Pending.Sort((a, b) =>
            {
                var c = WorkloadIdentity.IsLauncher(a).CompareTo(WorkloadIdentity.IsLauncher(b));
                return c != 0 ? c : string.CompareOrdinal(a.Metadata.Name, b.Metadata.Name);
            });
            var first = group.Pending[0];
            var info = group.Info;
            var className = info?.PriorityClassName ?? first.Spec?.PriorityClassName;
            var priority = policy.PriorityOf(className, first.Spec?.Priority);
            var pools = info?.NodePools is { Count: > 0 } own ? own
                : first.Spec?.NodeSelector?.TryGetValue(RunaiLabels.NodePool, out var pool) == true ? [pool] : [];
            var created = info?.CreatedAt ?? group.Pending.Min(p => p.Metadata.CreationTimestamp);
            pending.Add(new WorkloadDemand(
                group.Key,
                group.Project,
                first.Metadata.NamespaceProperty ?? "",
                info?.MinMember ?? 1,
                [.. group.Pending.Select(p => DemandOf(p, (p.Metadata.NamespaceProperty ?? "") + "/" + p.Metadata.Name))],
                priority,
                policy.IsPreemptible(className, priority),
                className ?? policy.DefaultPriorityClass,
                pools,
                info?.Placement ?? Placement.Binpack,
                (info?.AntiAffinity ?? false) || HasSelfAntiAffinity(first),
                OrderOf(created)));
        }

        pending.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return (new ClusterSnapshot(schedulingNodes, schedulingProjects, bound, pending, policy), context);
    }

    private static long OrderOf(DateTime? created) => created?.Ticks ?? 0;

    public static SchedulingNode NodeOf(V1Node node)
    {
        var labels = node.Metadata?.Labels;
        string? pool = null;
        labels?.TryGetValue(RunaiLabels.NodePool, out pool);
        var allocatable = node.Status?.Allocatable ?? node.Status?.Capacity;
        var gpus = 0;
        if (allocatable?.TryGetValue(GpuLabels.ResourceName, out var g) == true) gpus = (int)Math.Max(0, g.ToInt64());
        else if (labels?.TryGetValue(GpuLabels.Count, out var c) == true && int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var count)) gpus = count;
        long memory = 0;
        if (labels?.TryGetValue(GpuLabels.Memory, out var m) == true) long.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out memory);
        var cpu = allocatable?.TryGetValue("cpu", out var cq) == true ? (long)(cq.ToDecimal() * 1000m) : long.MaxValue;
        var mem = allocatable?.TryGetValue("memory", out var mq) == true ? (long)mq.ToDecimal() : long.MaxValue;
        var ready = node.Status?.Conditions?.FirstOrDefault(x => x.Type == "Ready")?.Status == "True";
        var tainted = node.Spec?.Taints?.Any(t => t.Effect is "NoSchedule" or "NoExecute") == true;
        return new SchedulingNode(node.Metadata!.Name, string.IsNullOrEmpty(pool) ? null : pool, gpus, memory, cpu, mem,
            ready && node.Spec?.Unschedulable != true && !tainted);
    }

    public static PodDemand DemandOf(V1Pod pod, string key)
    {
        var gpus = PodGpus.Of(pod);
        long cpu = 0, memory = 0;
        foreach (var c in pod.Spec?.Containers ?? [])
        {
            var requests = c.Resources?.Requests;
            if (requests?.TryGetValue("cpu", out var q) == true) cpu += (long)(q.ToDecimal() * 1000m);
            if (requests?.TryGetValue("memory", out var mq) == true) memory += (long)mq.ToDecimal();
        }

        var whole = gpus.IsShared ? 0 : gpus.Gpus.DevicesCeiling;
        var fraction = gpus.Gpus.IsFractional ? (int)GpuMilli.Of(gpus.Gpus) : 0;
        return new PodDemand(key, whole, fraction, gpus.MemoryMiB ?? 0, cpu, memory);
    }

    private static int? SharedDeviceOf(V1ObjectMeta meta) =>
        meta.Annotations?.TryGetValue(RunaiExtraAnnotations.GpuGroupIndex, out var text) == true
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;

    /// <summary>
    /// True when the pod's required anti-affinity keeps it off nodes holding pods like itself (a hostname topology
    /// term whose selector matches its own labels), which is how MPIJob workers ask for distinct nodes.
    /// </summary>
    public static bool HasSelfAntiAffinity(V1Pod pod)
    {
        var terms = pod.Spec?.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        if (terms is null) return false;
        var labels = pod.Metadata?.Labels ?? new Dictionary<string, string>();
        foreach (var term in terms)
        {
            if (term.TopologyKey != "kubernetes.io/hostname" || term.LabelSelector is null) continue;
            var selector = term.LabelSelector;
            var matches = (selector.MatchLabels ?? new Dictionary<string, string>()).All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value)
                && (selector.MatchExpressions ?? []).All(e => e.OperatorProperty switch
                {
                    "In" => labels.TryGetValue(e.Key, out var v) && (e.Values ?? []).Contains(v),
                    "Exists" => labels.ContainsKey(e.Key),
                    "NotIn" => !labels.TryGetValue(e.Key, out var v2) || !(e.Values ?? []).Contains(v2),
                    "DoesNotExist" => !labels.ContainsKey(e.Key),
                    _ => false,
                });
            if (matches) return true;
        }

        return false;
    }
}
