namespace Runai.Core;

/// <summary>Labels that tie pods to workloads and projects, and nodes to node pools.</summary>
public static class RunaiLabels
{
    /// <summary>On pods: the name of the owning workload.</summary>
    public const string WorkloadName = "runai/workload-name";
    /// <summary>On pods: the owning workload's kind, e.g. <c>TrainingWorkload</c> or <c>MPIJob</c>.</summary>
    public const string WorkloadKind = "runai/workload-kind";
    /// <summary>On pods: the project name (set by runai-admission in project namespaces).</summary>
    public const string Project = "project";
    /// <summary>On nodes: the node pool the node belongs to.</summary>
    public const string NodePool = "runai/node-pool";
}

/// <summary>GPU feature labels on nodes and the extended resource name of a GPU.</summary>
public static class GpuLabels
{
    /// <summary>GPU model, e.g. <c>NVIDIA-H200-NVL</c>.</summary>
    public const string Product = "nvidia.com/gpu.product";
    /// <summary>GPUs on the node.</summary>
    public const string Count = "nvidia.com/gpu.count";
    /// <summary>Memory per GPU in MiB.</summary>
    public const string Memory = "nvidia.com/gpu.memory";
    /// <summary>The extended resource pods request and nodes advertise.</summary>
    public const string ResourceName = "nvidia.com/gpu";
}

/// <summary>Labels the Kubeflow MPI operator puts on the pods of an MPIJob.</summary>
public static class KubeflowLabels
{
    public const string JobName = "training.kubeflow.org/job-name";
    public const string JobRole = "training.kubeflow.org/job-role";
    public const string ReplicaIndex = "training.kubeflow.org/replica-index";
    public const string OperatorName = "training.kubeflow.org/operator-name";

    /// <summary>Value of <see cref="JobRole"/> on the launcher pod.</summary>
    public const string RoleLauncher = "launcher";
    /// <summary>Value of <see cref="JobRole"/> on worker pods.</summary>
    public const string RoleWorker = "worker";
    /// <summary>Value of <see cref="OperatorName"/> the MPI operator sets.</summary>
    public const string MpiOperator = "mpi-operator";
}
