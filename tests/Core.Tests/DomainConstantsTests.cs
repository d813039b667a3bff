namespace Runai.Core.Tests;

public sealed class DomainConstantsTests
{
    [Fact]
    public void AnnotationNamesAreExactlyThoseOfTheSpec()
    {
        Assert.Equal(
            [
                "runai-calculated-status", "runai-pending-pods", "runai-running-pods", "runai-current-allocated-gpus",
                "runai-current-allocated-gpus-memory", "runai-current-requested-gpus", "runai-total-requested-gpus",
                "runai-podgroup-requested-gpus", "runai-podgroup-requested-gpus-memory", "runai-used-nodes",
                "runai-pending-reason",
            ],
            RunaiAnnotations.All);
        Assert.Equal(", ", RunaiAnnotations.UsedNodesSeparator);
    }

    [Fact]
    public void WorkloadStatusHasNineValuesWithLowerCaseMetricForms()
    {
        Assert.Equal(
            ["Creating", "Pending", "Initializing", "Running", "Degraded", "Completed", "Failed", "Stopped", "Deleting"],
            WorkloadStatus.All);
        Assert.Equal(
            ["creating", "pending", "initializing", "running", "degraded", "completed", "failed", "stopped", "deleting"],
            WorkloadStatus.AllMetricValues);
        Assert.Equal("running", WorkloadStatus.ToMetricValue(WorkloadStatus.Running));
        Assert.True(WorkloadStatus.IsKnown("Degraded"));
        Assert.False(WorkloadStatus.IsKnown("running"));
        Assert.False(WorkloadStatus.IsKnown(null));
        Assert.True(WorkloadStatus.IsFinished(WorkloadStatus.Completed));
        Assert.True(WorkloadStatus.IsFinished(WorkloadStatus.Failed));
        Assert.False(WorkloadStatus.IsFinished(WorkloadStatus.Stopped));
    }

    [Fact]
    public void PendingReasonsAreCheckedInSpecOrder()
    {
        Assert.Equal(
            [
                "ProjectMissing", "OverLimit", "OverQuota", "NodePoolFull", "AntiAffinityUnsatisfiable",
                "InsufficientGpus", "QueuedBehindHigherPriority", "GangIncomplete",
            ],
            PendingReasons.All);
        Assert.Equal(0, PendingReasons.Rank(PendingReasons.ProjectMissing));
        Assert.Equal(7, PendingReasons.Rank(PendingReasons.GangIncomplete));
        Assert.Equal(-1, PendingReasons.Rank("Unschedulable"));
    }

    [Fact]
    public void PriorityClassesHaveTheSchedulerValues()
    {
        Assert.Equal(
            [("train", 50, true), ("build-preemptible", 75, true), ("build", 100, false), ("inference", 125, false)],
            PriorityClasses.All.Select(p => (p.Name, p.Value, p.Preemptible)));
        Assert.All(PriorityClasses.All, p => Assert.Equal(p.Preemptible, PriorityClasses.IsPreemptible(p.Value)));
        Assert.True(PriorityClasses.IsPreemptible(99));
        Assert.False(PriorityClasses.IsPreemptible(100));
        Assert.Equal(125, PriorityClasses.Find("inference")!.Value);
        Assert.Null(PriorityClasses.Find("system-cluster-critical"));
    }

    [Fact]
    public void LabelsAreSpelledAsClustersExpect()
    {
        Assert.Equal(
            ["runai/workload-name", "runai/workload-kind", "project", "runai/node-pool"],
            [RunaiLabels.WorkloadName, RunaiLabels.WorkloadKind, RunaiLabels.Project, RunaiLabels.NodePool]);
        Assert.Equal(
            ["nvidia.com/gpu.product", "nvidia.com/gpu.count", "nvidia.com/gpu.memory", "nvidia.com/gpu"],
            [GpuLabels.Product, GpuLabels.Count, GpuLabels.Memory, GpuLabels.ResourceName]);
        Assert.Equal(
            ["training.kubeflow.org/job-name", "training.kubeflow.org/job-role", "launcher", "worker"],
            [KubeflowLabels.JobName, KubeflowLabels.JobRole, KubeflowLabels.RoleLauncher, KubeflowLabels.RoleWorker]);
    }

    [Fact]
    public void ComponentsAreTheSpecsDeploymentsAndDaemonSets()
    {
        Assert.Equal("runai", RunaiComponents.Namespace);
        Assert.Equal(
            ["workload-controller", "runai-scheduler", "runai-admission", "workload-overseer", "status-updater",
             "shared-objects-controller", "workload-exporter"],
            RunaiComponents.Deployments);
        Assert.Equal(["runai-node-exporter", "runai-runtime-installer", "runai-container-toolkit"], RunaiComponents.DaemonSets);
        Assert.Equal("runai-scheduler", RunaiComponents.SchedulerName);
        Assert.True(RunaiComponents.IsComponent("status-updater"));
        Assert.False(RunaiComponents.IsComponent("runai-doctor"));
    }

    [Fact]
    public void WorkloadKindCatalogKnowsWhichKindsAreDistributed()
    {
        Assert.Equal(
            [("RunaiJob", false), ("TrainingWorkload", true), ("InferenceWorkload", false), ("InteractiveWorkload", false), ("MPIJob", true)],
            WorkloadKinds.All.Select(k => (k.Kind, k.Distributed)));
        Assert.Equal("kubeflow.org/v2beta1", WorkloadKinds.MpiJob.ApiVersion);
        Assert.Equal("mpijobs.kubeflow.org", WorkloadKinds.MpiJob.GroupResource);
        Assert.Same(WorkloadKinds.TrainingWorkload, WorkloadKinds.FindByKind("TrainingWorkload"));
        Assert.Same(WorkloadKinds.MpiJob, WorkloadKinds.FindByPlural("mpijobs"));
        Assert.Null(WorkloadKinds.FindByKind("mpijob"));
        Assert.Equal(4, WorkloadKinds.Runai.Count);
        Assert.All(WorkloadKinds.Runai, k => Assert.Equal("run.ai/v2alpha1", k.ApiVersion));
    }
}
