using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Workloads;
using Runai.Exporter.Model;
using Runai.Exporter.Tests.Support;

namespace Runai.Exporter.Tests;

public sealed class ModelTests
{
    private static readonly DateTimeOffset Now = new(Objects.T0.AddMinutes(10));

    private static (string, string)[] Of(string workload, string ns = "team") => [("workload", workload), ("namespace", ns)];

    [Fact]
    public void AWorkloadsSeriesComeFromItsAnnotations()
    {
        var model = new ClusterModel();
        var job = Objects.Training("train", "team", annotations: Objects.Annotations("Running", "4", "301508", "4", preemptions: "2"));
        job.Status = new RunaiWorkloadStatus { StartTime = Objects.T0.AddMinutes(1) };
        model.SetProject(ProjectFacts.From(Objects.Project("team", "team", 8, 16)));
        model.SetWorkload(WorkloadFacts.From(job));

        var e = Render.Parsed(model, Now);
        Assert.Equal(1, e.Value("runai_workload_status", [.. Of("train"), ("status", "running"), ("project", "team"), ("type", "TrainingWorkload")]));
        Assert.Equal(8, e.Of("runai_workload_status").Count(s => s.Value == 0));
        Assert.Equal(4, e.Value("runai_workload_gpu_allocation", Of("train")));
        Assert.Equal(301508.0 * 1024 * 1024, e.Value("runai_workload_allocated_gpu_memory_bytes", Of("train")));
        Assert.Equal(4, e.Value("runai_workload_requested_gpus", Of("train")));
        Assert.Equal(2, e.Value("runai_workload_preemptions", Of("train")));
        Assert.Equal(540, e.Value("runai_workload_runtime_seconds", Of("train")), 3);
        var info = e.Find("runai_workload_info", Of("train"))!;
        Assert.Equal(("alice", "gpu-h200-pool", "train"), (info.Label("user"), info.Label("node_pool"), info.Label("priority_class")));
        Assert.Equal(4, e.Value("runai_project_allocated_gpus", ("project", "team")));
        Assert.Equal(16, e.Value("runai_project_gpu_limit", ("project", "team")));
    }

    [Fact]
    public void ClockDrivenValuesGrowBetweenScrapesWithoutAnEvent()
    {
        var model = new ClusterModel();
        var job = Objects.Training("wait", "team", annotations: Objects.Annotations("Pending"));
        model.SetWorkload(WorkloadFacts.From(job));

        Assert.Equal(600, Render.Parsed(model, Now).Value("runai_workload_queue_time", Of("wait")), 3);
        Assert.Equal(660, Render.Parsed(model, Now.AddMinutes(1)).Value("runai_workload_queue_time", Of("wait")), 3);
        Assert.Equal(0, Render.Parsed(model, Now).Value("runai_workload_runtime_seconds", Of("wait")));
    }

    [Fact]
    public void QueueTimeEndsWhenThePodGroupSaysTheGangWasPlaced()
    {
        var model = new ClusterModel();
        model.SetWorkload(WorkloadFacts.From(Objects.Training("placed", "team", annotations: Objects.Annotations("Running"))));
        var group = new PodGroup
        {
            Metadata = new V1ObjectMeta { Name = PodGroup.NameFor("TrainingWorkload", "placed"), NamespaceProperty = "team" },
            Spec = new PodGroupSpec { Workload = new PodGroupWorkloadRef { Kind = "TrainingWorkload", Name = "placed", ApiVersion = "run.ai/v2alpha1" } },
            Status = new PodGroupStatus { ScheduledTime = Objects.T0.AddSeconds(42), Preemptions = 3 },
        };
        model.SetPodGroup(PodGroupFacts.From(group));

        var e = Render.Parsed(model, Now);
        Assert.Equal(42, e.Value("runai_workload_queue_time", Of("placed")), 3);
        Assert.Equal(3, e.Value("runai_workload_preemptions", Of("placed"))); // no annotation: the pod group's count
    }

    [Fact]
    public void WithoutAnnotationsTheValuesComeFromPodsAndSpec()
    {
        var model = new ClusterModel();
        model.SetNode(NodeFacts.From(Objects.Node("n1")));
        model.SetWorkload(WorkloadFacts.From(Objects.Training("bare", "team", workers: 2, gpus: 2)));
        model.SetPod(PodFacts.From(Objects.Pod("bare-0", "team", "bare", "TrainingWorkload", "n1", "Running", 2)));
        model.SetPod(PodFacts.From(Objects.Pod("bare-1", "team", "bare", "TrainingWorkload", null, "Pending", 2)));

        var e = Render.Parsed(model, Now);
        Assert.Equal(2, e.Value("runai_workload_gpu_allocation", Of("bare")));
        Assert.Equal(2 * 75377.0 * 1024 * 1024, e.Value("runai_workload_allocated_gpu_memory_bytes", Of("bare")));
        Assert.Equal(4, e.Value("runai_workload_requested_gpus", Of("bare")));
        Assert.Equal(1, e.Value("runai_workload_pods", [.. Of("bare"), ("phase", "running")]));
        Assert.Equal(1, e.Value("runai_workload_pods", [.. Of("bare"), ("phase", "pending")]));
        Assert.Equal("team", e.Find("runai_workload_gpu_allocation", Of("bare"))!.Label("project")); // the pods' project label
        Assert.All(e.Of("runai_workload_status"), s => Assert.Equal(0, s.Value)); // nothing says its status yet
        Assert.Equal(2, e.Value("runai_node_allocated_gpus", ("node", "n1")));
        Assert.Equal(4, e.Value("runai_node_gpus", ("node", "n1"), ("ready", "true"), ("schedulable", "true"), ("model", "NVIDIA-H200")));
    }

    [Fact]
    public void GarbageAnnotationsFallBackAndAreCounted()
    {
        var counts = new Dictionary<string, int>();
        var model = new ClusterModel { InvalidAnnotationsChanged = (a, n) => counts[a] = n };
        var annotations = Objects.Annotations("Sleeping", "lots", "-5", "4\n", preemptions: "1e99");
        model.SetWorkload(WorkloadFacts.From(Objects.Training("junk", "team", annotations: annotations)));
        model.SetPod(PodFacts.From(Objects.Pod("junk-0", "team", "junk", "TrainingWorkload", "n1", "Running", 1)));

        var e = Render.Parsed(model, Now);
        Assert.Equal(1, e.Value("runai_workload_gpu_allocation", Of("junk")));
        Assert.Equal(4, e.Value("runai_workload_requested_gpus", Of("junk")));
        Assert.Equal(0, e.Value("runai_workload_preemptions", Of("junk")));
        Assert.All(e.Of("runai_workload_status"), s => Assert.Equal(0, s.Value));
        Assert.Equal(1, counts[RunaiAnnotations.CalculatedStatus]);
        Assert.Equal(1, counts[RunaiAnnotations.CurrentAllocatedGpus]);
        Assert.Equal(1, counts[RunaiExtraAnnotations.Preemptions]);

        model.SetWorkload(WorkloadFacts.From(Objects.Training("junk", "team", annotations: Objects.Annotations("Running", "1"))));
        Assert.Equal(0, counts[RunaiAnnotations.CalculatedStatus]);
    }

    [Fact]
    public void DeletedObjectsVanishFromTheNextScrape()
    {
        var model = new ClusterModel();
        model.SetProject(ProjectFacts.From(Objects.Project("team", "team", 8, null)));
        model.SetNode(NodeFacts.From(Objects.Node("n1")));
        model.SetWorkload(WorkloadFacts.From(Objects.Training("gone", "team", annotations: Objects.Annotations("Running", "2"))));
        model.SetWorkload(WorkloadFacts.From(Objects.Training("kept", "team", annotations: Objects.Annotations("Pending"))));
        Assert.Equal(2, Render.Parsed(model, Now).Value("runai_project_allocated_gpus", ("project", "team")));

        model.RemoveWorkload(new WorkloadRef("TrainingWorkload", "team", "gone"));
        var e = Render.Parsed(model, Now);
        Assert.DoesNotContain(e.Samples, s => s.Label("workload") == "gone");
        Assert.Contains(e.Samples, s => s.Label("workload") == "kept");
        Assert.Equal(0, e.Value("runai_project_allocated_gpus", ("project", "team")));
        Assert.Equal(1, e.Value("runai_project_pending_workloads", ("project", "team")));
        Assert.Empty(e.Of("runai_project_gpu_limit")); // no limit, no series

        model.RemoveNode("n1");
        model.RemoveProject("team");
        e = Render.Parsed(model, Now);
        Assert.Empty(e.Of("runai_node_gpus"));
        Assert.Empty(e.Of("runai_project_gpu_quota"));
        Assert.Equal("", e.Find("runai_workload_gpu_allocation", Of("kept"))!.Label("project"));
    }

    [Fact]
    public void ControlPlaneSeriesComeFromDeploymentsPodsDaemonSetsAndLeases()
    {
        var model = new ClusterModel();
        model.SetDeployment("workload-controller", 2, 1);
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "wc-1", NamespaceProperty = "runai", Labels = new Dictionary<string, string> { ["app"] = "workload-controller" } },
            Spec = new V1PodSpec { NodeName = "cp", Containers = [new V1Container { Name = "c" }] },
            Status = new V1PodStatus
            {
                Phase = "Running",
                ContainerStatuses =
                [
                    new V1ContainerStatus
                    {
                        Name = "c", RestartCount = 3,
                        LastState = new V1ContainerState { Terminated = new V1ContainerStateTerminated { Reason = "OOMKilled", FinishedAt = Objects.T0 } },
                    },
                ],
            },
        };
        model.SetPod(PodFacts.From(pod));
        model.SetDaemonSet("runai-node-exporter", 8, 7);
        model.SetLease("workload-controller", "wc-1", Now.AddSeconds(-4));

        var e = Render.Parsed(model, Now);
        Assert.Equal(2, e.Value("runai_component_replicas", ("component", "workload-controller"), ("state", "desired")));
        Assert.Equal(1, e.Value("runai_component_replicas", ("component", "workload-controller"), ("state", "ready")));
        Assert.Equal(3, e.Value("runai_component_container_restarts", ("component", "workload-controller"), ("reason", "OOMKilled")));
        Assert.Equal(new DateTimeOffset(Objects.T0).ToUnixTimeSeconds(), e.Value("runai_component_last_restart_timestamp_seconds", ("component", "workload-controller")));
        Assert.Equal(7, e.Value("runai_daemonset_nodes", ("daemonset", "runai-node-exporter"), ("state", "ready")));
        Assert.Equal(4, e.Value("runai_lease_renew_age_seconds", ("lease", "workload-controller")), 3);
        Assert.Equal(1, e.Value("runai_lease_info", ("lease", "workload-controller"), ("holder", "wc-1")));

        model.RemovePod("runai/wc-1");
        model.RemoveDeployment("workload-controller");
        Assert.Empty(Render.Parsed(model, Now).Of("runai_component_replicas"));
    }

    [Fact]
    public void DeferredRenderingShowsNothingUntilRenderedThenEverythingOnce()
    {
        var model = new ClusterModel();
        model.DeferRendering();
        model.SetProject(ProjectFacts.From(Objects.Project("team", "team", 8, null)));
        model.SetNode(NodeFacts.From(Objects.Node("n1")));
        model.SetWorkload(WorkloadFacts.From(Objects.Training("w", "team", annotations: Objects.Annotations("Running", "2"))));
        model.SetPod(PodFacts.From(Objects.Pod("w-0", "team", "w", "TrainingWorkload", "n1", "Running", 2)));
        Assert.Empty(Render.Parsed(model, Now).Samples);

        model.RenderDeferred();
        var e = Render.Parsed(model, Now);
        Assert.Equal(2, e.Value("runai_project_allocated_gpus", ("project", "team")));
        Assert.Equal(2, e.Value("runai_node_allocated_gpus", ("node", "n1")));
        Assert.Equal(1, e.Value("runai_workload_pods", ("workload", "w"), ("phase", "running")));

        model.SetWorkload(WorkloadFacts.From(Objects.Training("w", "team", annotations: Objects.Annotations("Running", "3"))));
        Assert.Equal(3, Render.Parsed(model, Now).Value("runai_project_allocated_gpus", ("project", "team")));
    }

    [Fact]
    public void ClearWithdrawsEverySeries()
    {
        var model = new ClusterModel();
        model.SetNode(NodeFacts.From(Objects.Node("n1")));
        model.SetWorkload(WorkloadFacts.From(Objects.Training("w", "team", annotations: Objects.Annotations("Running"))));
        model.Clear();
        Assert.Empty(Render.Parsed(model, Now).Samples);
        Assert.All(model.Families.All, g => Assert.Equal(0, g.SeriesCount));
    }

    [Fact]
    public void MpiJobsGetTheirGpusFromCoresGangAndAFinishedConditionAsStatus()
    {
        var job = new MpiJob
        {
            Metadata = new V1ObjectMeta { Name = "nccl", NamespaceProperty = "team", CreationTimestamp = Objects.T0 },
            Spec = new MpiJobSpec
            {
                MpiReplicaSpecs = new Dictionary<string, MpiReplicaSpec>
                {
                    [MpiReplicaTypes.Launcher] = new() { Replicas = 1, Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [new V1Container { Name = "l" }] } } },
                    [MpiReplicaTypes.Worker] = new()
                    {
                        Replicas = 2,
                        Template = new V1PodTemplateSpec
                        {
                            Spec = new V1PodSpec
                            {
                                Containers = [new V1Container { Name = "w", Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new("2") } } }],
                            },
                        },
                    },
                },
            },
            Status = new MpiJobStatus
            {
                StartTime = Objects.T0.AddMinutes(1),
                CompletionTime = Objects.T0.AddMinutes(3),
                Conditions = [new MpiJobCondition { Type = MpiJobConditionTypes.Succeeded, Status = "True" }],
            },
        };
        var model = new ClusterModel();
        model.SetWorkload(WorkloadFacts.From(job));
        var e = Render.Parsed(model, Now);
        Assert.Equal(4, e.Value("runai_workload_requested_gpus", ("workload", "nccl"), ("type", "MPIJob")));
        Assert.Equal(1, e.Value("runai_workload_status", ("workload", "nccl"), ("status", "completed")));
        Assert.Equal(120, e.Value("runai_workload_runtime_seconds", ("workload", "nccl")), 3);
    }
}
