using Runai.Exporter.Exposition;

namespace Runai.Exporter.Model;

/// <summary>The families of SPEC §4's workload-exporter table, grouped by the kind of object that feeds them.</summary>
internal sealed class ExporterFamilies
{
    public static readonly MetricFamily WorkloadStatus = new("runai_workload_status",
        "Workload status as a state set: one series per status (lower-case runai-calculated-status), 1 on the current one, 0 on the others.");
    public static readonly MetricFamily WorkloadGpuAllocation = new("runai_workload_gpu_allocation",
        "GPUs allocated to the workload now, in devices (0.5 is half a shared GPU).");
    public static readonly MetricFamily WorkloadRuntime = new("runai_workload_runtime_seconds",
        "Seconds the workload has spent running, in total.", timed: true);
    public static readonly MetricFamily WorkloadQueueTime = new("runai_workload_queue_time",
        "Seconds from submission until the whole gang was placed; grows while it waits.", timed: true);
    public static readonly MetricFamily WorkloadPreemptions = new("runai_workload_preemptions",
        "Times the workload was preempted (a count; a gauge because the value comes from its runai-preemptions annotation).");
    public static readonly MetricFamily WorkloadInfo = new("runai_workload_info",
        "Workload metadata to join on; always 1.");
    public static readonly MetricFamily WorkloadRequestedGpus = new("runai_workload_requested_gpus",
        "GPUs the workload's spec asks for, in devices.");
    public static readonly MetricFamily WorkloadAllocatedGpuMemory = new("runai_workload_allocated_gpu_memory_bytes",
        "GPU memory allocated to the workload now, in bytes (each allocated GPU counts its node's GPU memory).");
    public static readonly MetricFamily WorkloadPods = new("runai_workload_pods",
        "The workload's pods by phase, in pods.");

    public static readonly MetricFamily ProjectGpuQuota = new("runai_project_gpu_quota",
        "GPUs guaranteed to the project (its quota), in devices.");
    public static readonly MetricFamily ProjectGpuLimit = new("runai_project_gpu_limit",
        "Most GPUs the project may hold, quota included, in devices; absent when the project has no limit.");
    public static readonly MetricFamily ProjectAllocatedGpus = new("runai_project_allocated_gpus",
        "GPUs allocated now to the project's workloads, in devices.");
    public static readonly MetricFamily ProjectOverQuotaGpus = new("runai_project_over_quota_gpus",
        "GPUs the project holds beyond its quota, in devices (0 when within quota).");
    public static readonly MetricFamily ProjectPendingWorkloads = new("runai_project_pending_workloads",
        "The project's workloads in status Pending, in workloads.");

    public static readonly MetricFamily NodeGpus = new("runai_node_gpus",
        "GPUs the node offers (allocatable nvidia.com/gpu), in devices.");
    public static readonly MetricFamily NodeAllocatedGpus = new("runai_node_allocated_gpus",
        "GPUs held on the node by bound, unfinished pods, in devices.");

    public static readonly MetricFamily ComponentReplicas = new("runai_component_replicas",
        "Replicas of a Run:ai component's Deployment, desired and ready, in pods.");
    public static readonly MetricFamily ComponentContainerRestarts = new("runai_component_container_restarts",
        "Container restarts of the component's current pods, by the reason of each container's last termination, in restarts.");
    public static readonly MetricFamily ComponentLastRestart = new("runai_component_last_restart_timestamp_seconds",
        "When a container of the component last terminated and was restarted, in seconds since the Unix epoch.");
    public static readonly MetricFamily DaemonSetNodes = new("runai_daemonset_nodes",
        "Nodes a Run:ai DaemonSet should run on (desired) and runs ready on (ready), in nodes.");
    public static readonly MetricFamily LeaseRenewAge = new("runai_lease_renew_age_seconds",
        "Seconds since the leader-election Lease was last renewed.", timed: true);
    public static readonly MetricFamily LeaseInfo = new("runai_lease_info",
        "The leader-election Lease's current holder; always 1.");

    public FamilyGroup Workloads { get; } = new("workload", WorkloadStatus, WorkloadGpuAllocation, WorkloadRuntime, WorkloadQueueTime,
        WorkloadPreemptions, WorkloadInfo, WorkloadRequestedGpus, WorkloadAllocatedGpuMemory, WorkloadPods);

    public FamilyGroup Projects { get; } = new("project", ProjectGpuQuota, ProjectGpuLimit, ProjectAllocatedGpus, ProjectOverQuotaGpus, ProjectPendingWorkloads);

    public FamilyGroup Nodes { get; } = new("node", NodeGpus, NodeAllocatedGpus);

    public FamilyGroup Components { get; } = new("component", ComponentReplicas, ComponentContainerRestarts, ComponentLastRestart);

    public FamilyGroup DaemonSets { get; } = new("daemonset", DaemonSetNodes);

    public FamilyGroup Leases { get; } = new("lease", LeaseRenewAge, LeaseInfo);

    public IReadOnlyList<FamilyGroup> All => [Workloads, Projects, Nodes, Components, DaemonSets, Leases];

    public void Clear()
    {
        foreach (var group in All) group.Clear();
    }
}
