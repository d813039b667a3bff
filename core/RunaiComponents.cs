namespace Runai.Core;

/// <summary>
/// The Run:ai cluster components (SPEC §1). Each runs in <see cref="Namespace"/> under a ServiceAccount,
/// ClusterRole, ClusterRoleBinding and leader-election Lease named after it; its pods carry <c>app=&lt;name&gt;</c>.
/// </summary>
public static class RunaiComponents
{
    public const string Namespace = "runai";

    /// <summary>Pod label whose value is the component name.</summary>
    public const string AppLabel = "app";

    public const string WorkloadController = "workload-controller";
    public const string Scheduler = "runai-scheduler";
    public const string Admission = "runai-admission";
    public const string WorkloadOverseer = "workload-overseer";
    public const string StatusUpdater = "status-updater";
    public const string SharedObjectsController = "shared-objects-controller";
    public const string WorkloadExporter = "workload-exporter";

    public const string NodeExporter = "runai-node-exporter";
    public const string RuntimeInstaller = "runai-runtime-installer";
    public const string ContainerToolkit = "runai-container-toolkit";

    /// <summary>The <c>schedulerName</c> runai-admission sets on pods in project namespaces.</summary>
    public const string SchedulerName = Scheduler;

    /// <summary>Components that run as Deployments with leader election.</summary>
    public static readonly IReadOnlyList<string> Deployments =
    [
        WorkloadController, Scheduler, Admission, WorkloadOverseer,
        StatusUpdater, SharedObjectsController, WorkloadExporter,
    ];

    /// <summary>Per-node DaemonSets; only the node exporter is implemented here, the other two exist as objects.</summary>
    public static readonly IReadOnlyList<string> DaemonSets = [NodeExporter, RuntimeInstaller, ContainerToolkit];

    public static bool IsComponent(string name) => Deployments.Contains(name) || DaemonSets.Contains(name);
}
