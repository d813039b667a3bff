using k8s.Models;
using Runai.Controllers.Workloads;
using Runai.Core;
using Runai.Core.Resources;

namespace Runai.Workloads.Tests;

/// <summary>The pure parts of workload-controller: what is wrong with a spec, and the objects a workload becomes.</summary>
public sealed class SpecCheckAndObjectsTests
{
    [Fact]
    public void AValidSpecHasNoProblems()
    {
        Assert.Empty(WorkloadSpecCheck.Problems(Training("ok", 4, gpus: GpuQuantity.Parse("0.5")), namespaceHasProject: true));
        Assert.Empty(WorkloadSpecCheck.Problems(Training("ok", 4, gpus: 3), namespaceHasProject: true));
    }

    [Fact]
    public void EveryProblemIsNamedAtOnce()
    {
        var workload = Training(new string('n', 64), 1, gpus: GpuQuantity.Parse("2.5"));
        workload.Spec.GpuMemoryMiB = 1024;
        workload.Spec.BackoffLimit = -1;
        var problems = WorkloadSpecCheck.Problems(workload, namespaceHasProject: false);
        Assert.Equal(5, problems.Count);
        Assert.StartsWith("namespace my-project belongs to no project", problems[0]);
        Assert.StartsWith("spec.gpus 2.5 is a fraction above 1", problems[1]);
        Assert.StartsWith("spec.gpus and spec.gpuMemoryMiB are both set", problems[2]);
        Assert.Equal("spec.backoffLimit -1 is negative", problems[3]);
        Assert.Contains("is 64 characters", problems[4]);
    }

    [Fact]
    public void TheWorkerHostnameDecidesHowLongATrainingWorkloadsNameMayBe()
    {
        // "<name>-worker-9" adds 9 characters: 54 fit, 55 do not with ten workers.
        Assert.Empty(WorkloadSpecCheck.Problems(Training(new string('a', 54), 10), true));
        Assert.Single(WorkloadSpecCheck.Problems(Training(new string('a', 55), 10), true));
        // Other kinds only put the name itself in a label and a Service name: 63 fit.
        Assert.Empty(WorkloadSpecCheck.Problems(new RunaiJob { Metadata = new V1ObjectMeta { Name = new string('a', 63), NamespaceProperty = "p" } }, true));
        Assert.Single(WorkloadSpecCheck.Problems(new RunaiJob { Metadata = new V1ObjectMeta { Name = new string('a', 64), NamespaceProperty = "p" } }, true));
    }

    [Fact]
    public void MpiJobTemplatesWithBadGpuRequestsAreNamed()
    {
        var job = AnnotationValuesTests.SeedMpiJob();
        Assert.Empty(WorkloadSpecCheck.Problems(job));

        job.Spec.SlotsPerWorker = 4;
        Assert.Equal(["spec.slotsPerWorker 4 disagrees with the worker's nvidia.com/gpu request 2: each MPI slot is one GPU, so set them equal"],
            WorkloadSpecCheck.Problems(job));

        job.Spec.SlotsPerWorker = 2;
        job.Launcher!.Template.Metadata = new V1ObjectMeta { Annotations = new Dictionary<string, string> { [RunaiExtraAnnotations.GpuFraction] = "1.5" } };
        job.Worker!.Template.Spec.Containers[0].Resources.Limits[GpuLabels.ResourceName] = new ResourceQuantity("-2");
        var problems = WorkloadSpecCheck.Problems(job);
        Assert.Equal(2, problems.Count);
        Assert.Equal("spec.mpiReplicaSpecs.Launcher.template: annotation gpu-fraction=\"1.5\" must be above 0 and at most 1", problems[0]);
        Assert.Equal("spec.mpiReplicaSpecs.Worker container worker: limits nvidia.com/gpu -2 is negative", problems[1]);
    }

    [Fact]
    public void PodsCarryTheWorkloadLabelsOwnerSchedulerAndGpuRequest()
    {
        var workload = Training("train", 2, gpus: 2);
        workload.Metadata.Uid = "uid-1";
        workload.Spec.AntiAffinity = true;
        workload.Spec.PriorityClassName = "train";
        var pod = WorkloadObjects.Pod(workload, "team-a", WorkloadObjects.WorkerName("train", 1), "Never", 1);

        Assert.Equal("train-worker-1", pod.Metadata.Name);
        Assert.Equal(new Dictionary<string, string> { [RunaiLabels.WorkloadName] = "train", [RunaiLabels.WorkloadKind] = "TrainingWorkload", [RunaiLabels.Project] = "team-a" }, pod.Metadata.Labels);
        Assert.Equal(RunaiComponents.SchedulerName, pod.Spec.SchedulerName);
        Assert.Equal("train", pod.Spec.PriorityClassName);
        Assert.Equal("train-worker-1", pod.Spec.Hostname);
        Assert.Equal("train", pod.Spec.Subdomain);
        Assert.Equal("2", pod.Spec.Containers[0].Resources.Limits[GpuLabels.ResourceName].ToString());
        Assert.Null(pod.Metadata.Annotations);
        var owner = Assert.Single(pod.Metadata.OwnerReferences);
        Assert.Equal(("run.ai/v2alpha1", "TrainingWorkload", "train", "uid-1", true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller == true));
        Assert.Equal("kubernetes.io/hostname", pod.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution.Single().TopologyKey);
    }

    [Fact]
    public void FractionsAndMemoryBecomeAnnotationsNotExtendedResources()
    {
        var half = WorkloadObjects.PodTemplate(Training("t", 1, gpus: GpuQuantity.Parse("0.5")), "p", "Never");
        Assert.Equal("0.5", half.Metadata.Annotations[RunaiExtraAnnotations.GpuFraction]);
        Assert.Null(half.Spec.Containers[0].Resources);

        var byMemory = Training("t", 1);
        byMemory.Spec.GpuMemoryMiB = 20480;
        var template = WorkloadObjects.PodTemplate(byMemory, "p", "Never");
        Assert.Equal("20480", template.Metadata.Annotations[RunaiExtraAnnotations.GpuMemory]);
    }

    [Fact]
    public void ServicesAreHeadlessForTrainingAndOnThePortOtherwise()
    {
        Assert.Equal("None", WorkloadObjects.Service(Training("t", 2), "p").Spec.ClusterIP);
        var inference = new InferenceWorkload { Metadata = new V1ObjectMeta { Name = "serve", NamespaceProperty = "ns" } };
        inference.Spec.Port = 8000;
        inference.Spec.Replicas = 3;
        var service = WorkloadObjects.Service(inference, "p");
        Assert.Null(service.Spec.ClusterIP);
        Assert.Equal(8000, service.Spec.Ports.Single().Port);
        Assert.Equal(3, WorkloadObjects.Deployment(inference, "p").Spec.Replicas);
        inference.Spec.Suspend = true;
        Assert.Equal(0, WorkloadObjects.Deployment(inference, "p").Spec.Replicas);
        Assert.False(WorkloadObjects.NeedsService(new RunaiJob { Metadata = new V1ObjectMeta { Name = "j" } }));
    }

    [Fact]
    public void AnInteractiveWorkloadGetsAClaimOnlyWhenItNamesNone()
    {
        var notebook = new InteractiveWorkload { Metadata = new V1ObjectMeta { Name = "nb", NamespaceProperty = "ns" } };
        Assert.Null(WorkloadObjects.Claim(notebook, "p"));
        notebook.Spec.Pvc = new WorkloadVolume { Size = new ResourceQuantity("5Gi") };
        Assert.Equal("nb-pvc", WorkloadObjects.Claim(notebook, "p")!.Metadata.Name);
        notebook.Spec.Pvc.ClaimName = "home";
        Assert.Null(WorkloadObjects.Claim(notebook, "p"));
        Assert.Equal("home", WorkloadObjects.PodTemplate(notebook, "p", "Never").Spec.Volumes.Single().PersistentVolumeClaim.ClaimName);
    }

    private static TrainingWorkload Training(string name, int workers, GpuQuantity? gpus = null)
    {
        var workload = new TrainingWorkload { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "my-project" } };
        workload.Spec.Workers = workers;
        workload.Spec.Image = "trainer:1";
        workload.Spec.Gpus = gpus;
        return workload;
    }
}
