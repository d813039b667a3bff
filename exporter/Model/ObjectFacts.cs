using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Workloads;

namespace Runai.Exporter.Model;

/// <summary>What the exporter reads from one pod: its workload (core's <see cref="WorkloadIdentity"/>), GPUs (core's
/// <see cref="PodGpus"/>), placement, and for pods of the Run:ai components their container restarts.</summary>
internal sealed record PodFacts
{
    public required string Key { get; init; }
    public required string Namespace { get; init; }
    public WorkloadRef? Workload { get; init; }
    public string Phase { get; init; } = "Pending";
    public string? Node { get; init; }
    public PodGpuRequest Gpus { get; init; } = PodGpuRequest.None;
    public string? ProjectLabel { get; init; }
    public DateTimeOffset? ScheduledAt { get; init; }
    /// <summary>An MPIJob's launcher: in the gang only with <c>AtStartup</c>.</summary>
    public bool IsLauncher { get; init; }
    public DateTimeOffset? RunningSince { get; init; }
    /// <summary>The <c>app</c> label of a pod in the Run:ai namespace: the component it belongs to.</summary>
    public string? Component { get; init; }
    /// <summary>Restarts per reason of the container's last termination (component pods only).</summary>
    public IReadOnlyList<(string Reason, int Count)> Restarts { get; init; } = [];
    public DateTimeOffset? LastRestart { get; init; }

    /// <summary>Bound to a node and not finished: it holds its GPUs.</summary>
    public bool HoldsGpus => !string.IsNullOrEmpty(Node) && Phase is not ("Succeeded" or "Failed");

    public static PodFacts From(V1Pod pod)
    {
        var meta = pod.Metadata;
        var ns = meta.NamespaceProperty ?? "";
        var status = pod.Status;
        var scheduled = status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "True");
        string? component = null;
        var restarts = new List<(string, int)>();
        DateTimeOffset? lastRestart = null;
        if (ns == RunaiComponents.Namespace && meta.Labels.ValueOf(RunaiComponents.AppLabel) is { Length: > 0 } app)
        {
            component = app;
            foreach (var container in status?.ContainerStatuses ?? [])
            {
                if (container.RestartCount <= 0) continue;
                var terminated = container.LastState?.Terminated;
                restarts.Add((string.IsNullOrEmpty(terminated?.Reason) ? "Unknown" : terminated.Reason, container.RestartCount));
                if (WorkloadFacts.Utc(terminated?.FinishedAt) is { } finished && (lastRestart is null || finished > lastRestart)) lastRestart = finished;
            }
        }

        return new PodFacts
        {
            Key = ns + "/" + meta.Name,
            Namespace = Names.Intern(ns)!,
            Workload = WorkloadIdentity.Of(pod) is { } w ? new WorkloadRef(Names.Intern(w.Kind)!, Names.Intern(w.Namespace)!, Names.Intern(w.Name)!) : null,
            Phase = Names.Intern(status?.Phase) ?? "Pending",
            Node = Names.Intern(pod.Spec?.NodeName),
            Gpus = PodGpus.Of(pod),
            ProjectLabel = Names.Intern(meta.Labels.ValueOf(RunaiLabels.Project)),
            IsLauncher = WorkloadIdentity.IsLauncher(pod),
            ScheduledAt = scheduled is null ? null : WorkloadFacts.Utc(scheduled.LastTransitionTime) ?? WorkloadFacts.Utc(meta.CreationTimestamp),
            RunningSince = status?.Phase == "Running" ? WorkloadFacts.Utc(status.StartTime) : null,
            Component = component,
            Restarts = restarts,
            LastRestart = lastRestart,
        };
    }
}

/// <summary>A node's GPU capacity and the labels of <c>runai_node_*</c>.</summary>
internal sealed record NodeFacts(string Name, string Pool, string Model, GpuQuantity Gpus, long? GpuMemoryMiB, string Ready, bool Schedulable)
{
    public static NodeFacts From(V1Node node)
    {
        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        var gpus = GpuQuantity.Zero;
        if (node.Status?.Allocatable?.TryGetValue(GpuLabels.ResourceName, out var allocatable) == true
            || node.Status?.Capacity?.TryGetValue(GpuLabels.ResourceName, out allocatable) == true)
        {
            gpus = GpuQuantity.TryParse(allocatable.ToString(), out var g) ? g : GpuQuantity.Zero;
        }
        else if (labels.TryGetValue(GpuLabels.Count, out var count) && GpuQuantity.TryParse(count, out var c))
        {
            gpus = c;
        }

        long? memory = labels.TryGetValue(GpuLabels.Memory, out var m) && long.TryParse(m, System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var mib) ? mib : null;
        var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status switch
        {
            "True" => "true",
            "False" => "false",
            _ => "unknown",
        };
        return new NodeFacts(node.Metadata.Name, labels.ValueOf(RunaiLabels.NodePool) ?? "",
            labels.ValueOf(GpuLabels.Product) ?? "", gpus, memory, ready, node.Spec?.Unschedulable != true);
    }
}

/// <summary>A project's quota, limit and namespace.</summary>
internal sealed record ProjectFacts(string Name, string Namespace, GpuQuantity Quota, GpuQuantity? Limit)
{
    public static ProjectFacts From(Project project) =>
        new(project.Metadata.Name, project.EffectiveNamespace, project.Spec.Gpus.Quota, project.Spec.Gpus.Limit);
}

/// <summary>What a pod group adds about its workload: when the gang was placed, its preemptions, its node pool.</summary>
internal sealed record PodGroupFacts(string Key, WorkloadRef? Workload, DateTimeOffset? ScheduledTime, int? Preemptions, string? NodePool, string? Queue)
{
    public static PodGroupFacts From(PodGroup group)
    {
        var meta = group.Metadata;
        var ns = meta.NamespaceProperty ?? "";
        WorkloadRef? workload = !string.IsNullOrEmpty(group.Spec.Workload.Kind) && !string.IsNullOrEmpty(group.Spec.Workload.Name)
            ? new WorkloadRef(group.Spec.Workload.Kind, ns, group.Spec.Workload.Name)
            : WorkloadIdentity.OfObject(meta);
        return new PodGroupFacts(ns + "/" + meta.Name, workload, WorkloadFacts.Utc(group.Status?.ScheduledTime), group.Status?.Preemptions,
            group.Spec.NodePools?.FirstOrDefault(), group.Spec.Queue);
    }
}
