namespace Runai.Core;

/// <summary>
/// The annotations workload-controller keeps on every workload object, MPIJobs included (SPEC §3).
/// Names are exact; every value is a string.
/// </summary>
public static class RunaiAnnotations
{
    /// <summary>One of the <see cref="WorkloadStatus"/> values.</summary>
    public const string CalculatedStatus = "runai-calculated-status";
    /// <summary>Pods not yet running (unscheduled or starting).</summary>
    public const string PendingPods = "runai-pending-pods";
    /// <summary>Pods in phase Running.</summary>
    public const string RunningPods = "runai-running-pods";
    /// <summary>GPUs held now by bound, unfinished pods ("4", "0.5").</summary>
    public const string CurrentAllocatedGpus = "runai-current-allocated-gpus";
    /// <summary>GPU memory held now, in MiB, from the nodes' <c>nvidia.com/gpu.memory</c> label.</summary>
    public const string CurrentAllocatedGpusMemory = "runai-current-allocated-gpus-memory";
    /// <summary>GPUs requested by the pods that exist now.</summary>
    public const string CurrentRequestedGpus = "runai-current-requested-gpus";
    /// <summary>GPUs the whole spec asks for.</summary>
    public const string TotalRequestedGpus = "runai-total-requested-gpus";
    /// <summary>GPUs of the gang.</summary>
    public const string PodGroupRequestedGpus = "runai-podgroup-requested-gpus";
    /// <summary>MiB requested through GPU-memory fractions; "0" means whole GPUs.</summary>
    public const string PodGroupRequestedGpusMemory = "runai-podgroup-requested-gpus-memory";
    /// <summary>Nodes of the bound pods, sorted, joined by ", ".</summary>
    public const string UsedNodes = "runai-used-nodes";
    /// <summary>Ours: the scheduler's reason code and sentence while the workload waits; absent otherwise.</summary>
    public const string PendingReason = "runai-pending-reason";

    /// <summary>Separator of <see cref="UsedNodes"/>.</summary>
    public const string UsedNodesSeparator = ", ";

    /// <summary>Every annotation above, in the order SPEC §3 lists them.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        CalculatedStatus, PendingPods, RunningPods, CurrentAllocatedGpus, CurrentAllocatedGpusMemory,
        CurrentRequestedGpus, TotalRequestedGpus, PodGroupRequestedGpus, PodGroupRequestedGpusMemory,
        UsedNodes, PendingReason,
    ];
}

/// <summary>Annotations the product sets or reads beyond SPEC §3's table.</summary>
public static class RunaiExtraAnnotations
{
    /// <summary>On workloads (set by workload-overseer): times the workload was preempted, an integer string.
    /// Feeds <c>runai_workload_preemptions</c>.</summary>
    public const string Preemptions = "runai-preemptions";
    /// <summary>On workloads (set by workload-overseer): why it was last preempted, and by whom.</summary>
    public const string LastPreemption = "runai-last-preemption";
    /// <summary>On pods: a fraction of one GPU (0 &lt; f &lt; 1), instead of an <c>nvidia.com/gpu</c> request.</summary>
    public const string GpuFraction = "gpu-fraction";
    /// <summary>On pods: GPU memory in MiB, a fraction of one GPU by memory, instead of an <c>nvidia.com/gpu</c> request.</summary>
    public const string GpuMemory = "gpu-memory";
    /// <summary>On pods (set by runai-scheduler when binding a fractional pod): the index of the shared device on its node.</summary>
    public const string GpuGroupIndex = "runai-gpu-index";
}
