using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Workloads.Tests.Support;
using static Runai.Workloads.Tests.Support.Workloads;

namespace Runai.Workloads.Tests;

/// <summary>
/// The Run:ai kinds become the objects of SPEC §2 and reach every status of SPEC §3, with the real workload-controller
/// (under its own ClusterRole) on the simulated cluster; a test binder stands in for runai-scheduler.
/// </summary>
[Collection(WorkloadCluster.Name)]
public sealed class RunaiWorkloadTests(WorkloadClusterFixture fixture)
{
    private static readonly WorkloadKindInfo Training = WorkloadKinds.TrainingWorkload;

    [Fact]
    public async Task ATrainingWorkloadWaitsThenRunsThenCompletes()
    {
        const string name = "train-ok";
        fixture.Binder.Hold(name);
        await fixture.SubmitAsync(Training, name, new JsonObject
        {
            ["image"] = WorkloadClusterFixture.FinishingImage,
            ["gpus"] = 1, ["workers"] = 2, ["antiAffinity"] = true,
        });
        await fixture.UntilStatusAsync(Training, name, WorkloadStatus.Pending);

        // The workers and the headless Service, owned by the workload, placed by runai-scheduler.
        var pods = await fixture.PodsOfAsync(name);
        Assert.Equal(["train-ok-worker-0", "train-ok-worker-1"], pods.Select(p => p.Metadata.Name).Order());
        var workload = await fixture.GetAsync<TrainingWorkload>(Training, name);
        foreach (var pod in pods)
        {
            Assert.Equal(RunaiComponents.SchedulerName, pod.Spec.SchedulerName);
            Assert.Equal(Training.Kind, pod.Metadata.Labels[RunaiLabels.WorkloadKind]);
            Assert.Equal(ProjectNamespace, pod.Metadata.Labels[RunaiLabels.Project]);
            Assert.Equal("1", pod.Spec.Containers[0].Resources.Limits[GpuLabels.ResourceName].ToString());
            var owner = Assert.Single(pod.Metadata.OwnerReferences);
            Assert.Equal(workload.Metadata.Uid, owner.Uid);
            Assert.True(owner.Controller);
            Assert.NotNull(pod.Spec.Affinity?.PodAntiAffinity);
        }

        var service = await fixture.Admin.CoreV1.ReadNamespacedServiceAsync(name, ProjectNamespace);
        Assert.Equal("None", service.Spec.ClusterIP);
        Assert.Equal(workload.Metadata.Uid, Assert.Single(service.Metadata.OwnerReferences).Uid);

        await using (var recorder = new StatusRecorder(fixture, Training, name))
        {
            fixture.Binder.Release(name);
            await fixture.UntilStatusAsync(Training, name, WorkloadStatus.Completed, seconds: 30);
            await Task.Delay(50);
            Assert.Equal(WorkloadStatus.Pending, recorder.Seen[0]);
            Assert.Contains(WorkloadStatus.Running, recorder.Seen);
            Assert.Equal(WorkloadStatus.Completed, recorder.Seen[^1]);
        }

        await Wait.ForAsync(async () => (await fixture.GetAsync<TrainingWorkload>(Training, name)).Status?.Phase == WorkloadStatus.Completed,
            "status.phase Completed");
        workload = await fixture.GetAsync<TrainingWorkload>(Training, name);
        Assert.Equal(WorkloadStatus.Completed, workload.Status!.Phase);
        Assert.Equal(workload.Metadata.Generation, workload.Status.ObservedGeneration);
        Assert.Equal(ConditionStatus.True, workload.Status.Condition(WorkloadConditionTypes.Completed)!.Status);
        Assert.NotNull(workload.Status.StartTime);
        Assert.NotNull(workload.Status.CompletionTime);
        Assert.Equal("2", workload.Metadata.Annotations[RunaiAnnotations.TotalRequestedGpus]);
        await fixture.DeleteAsync(Training, name);
    }

    [Fact]
    public async Task AWorkerLostAfterRunningMakesTheWorkloadDegradedUntilItIsBack()
    {
        const string name = "train-degraded";
        await fixture.SubmitAsync(Training, name, new JsonObject { ["image"] = "trainer:1", ["gpus"] = 1, ["workers"] = 2 });
        await fixture.UntilStatusAsync(Training, name, WorkloadStatus.Running);

        await using var recorder = new StatusRecorder(fixture, Training, name);
        fixture.Binder.Hold(name);
        await fixture.Admin.CoreV1.DeleteNamespacedPodAsync($"{name}-worker-1", ProjectNamespace, gracePeriodSeconds: 0);
        await fixture.UntilStatusAsync(Training, name, WorkloadStatus.Degraded);
        // The controller makes the lost worker again; once placed and running the gang is whole.
        await Wait.ForAsync(async () => (await fixture.PodsOfAsync(name)).Any(p => p.Metadata.Name == $"{name}-worker-1" && p.Metadata.DeletionTimestamp is null),
            "the lost worker made again");
        fixture.Binder.Release(name);
        await fixture.UntilStatusAsync(Training, name, WorkloadStatus.Running);
        Assert.Contains(WorkloadStatus.Degraded, recorder.Seen);
        await fixture.DeleteAsync(Training, name);
    }

    [Fact]
    public async Task AFailedWorkerFailsTheWorkload()
    {
        const string name = "train-fails";
        await fixture.SubmitAsync(Training, name, new JsonObject { ["image"] = WorkloadClusterFixture.FailingImage, ["gpus"] = 1, ["workers"] = 1 });
        await fixture.UntilStatusAsync(Training, name, WorkloadStatus.Failed, seconds: 30);
        // The annotation and the status subresource are two writes; the status may land a moment after.
        await Wait.ForAsync(async () => (await fixture.GetAsync<TrainingWorkload>(Training, name)).Status?.Phase == WorkloadStatus.Failed,
            "status.phase Failed");
        var workload = await fixture.GetAsync<TrainingWorkload>(Training, name);
        Assert.Equal(WorkloadStatus.Failed, workload.Status!.Phase);
        Assert.Equal(ConditionStatus.True, workload.Status.Condition(WorkloadConditionTypes.Failed)!.Status);
        Assert.NotNull(workload.Status.CompletionTime);
        await fixture.DeleteAsync(Training, name);
    }

    [Fact]
    public async Task SuspendingAnInteractiveWorkloadStopsItsPodAndResumingStartsItAgain()
    {
        var kind = WorkloadKinds.InteractiveWorkload;
        const string name = "notebook";
        await fixture.SubmitAsync(kind, name, new JsonObject
        {
            ["image"] = "jupyter:1", ["gpus"] = 1, ["port"] = 8888, ["pvc"] = new JsonObject { ["size"] = "5Gi" },
        });
        await fixture.UntilStatusAsync(kind, name, WorkloadStatus.Running);
        var claim = await fixture.Admin.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("notebook-pvc", ProjectNamespace);
        Assert.Equal("5Gi", claim.Spec.Resources.Requests["storage"].ToString());
        var pod = Assert.Single(await fixture.PodsOfAsync(name));
        Assert.Equal("notebook-pvc", pod.Spec.Volumes.Single().PersistentVolumeClaim.ClaimName);
        Assert.Equal(8888, (await fixture.Admin.CoreV1.ReadNamespacedServiceAsync(name, ProjectNamespace)).Spec.Ports.Single().Port);

        await fixture.PatchSpecAsync(kind, name, """{"suspend":true}""");
        await fixture.UntilStatusAsync(kind, name, WorkloadStatus.Stopped);
        await Wait.ForAsync(async () => (await fixture.PodsOfAsync(name)).Count == 0, "the notebook pod gone while suspended");
        await Wait.ForAsync(async () => (await fixture.GetAsync<InteractiveWorkload>(kind, name)).Status?.Phase == WorkloadStatus.Stopped,
            "status.phase Stopped");
        var stopped = await fixture.GetAsync<InteractiveWorkload>(kind, name);
        Assert.Equal(WorkloadStatus.Stopped, stopped.Status!.Phase);
        Assert.Equal(ConditionStatus.True, stopped.Status.Condition(WorkloadConditionTypes.Suspended)!.Status);
        Assert.NotNull(await fixture.Admin.CoreV1.ReadNamespacedServiceAsync(name, ProjectNamespace));

        await fixture.PatchSpecAsync(kind, name, """{"suspend":false}""");
        await fixture.UntilStatusAsync(kind, name, WorkloadStatus.Running);
        await fixture.DeleteAsync(kind, name);
    }

    [Fact]
    public async Task AnInferenceWorkloadRunsAsADeploymentOfFractionalPods()
    {
        var kind = WorkloadKinds.InferenceWorkload;
        const string name = "serve";
        await fixture.SubmitAsync(kind, name, new JsonObject { ["image"] = "triton:1", ["gpus"] = 0.5, ["replicas"] = 2, ["port"] = 8000 });
        await fixture.UntilStatusAsync(kind, name, WorkloadStatus.Running, seconds: 30);

        var deployment = await fixture.Admin.AppsV1.ReadNamespacedDeploymentAsync(name, ProjectNamespace);
        Assert.Equal(2, deployment.Spec.Replicas);
        Assert.Equal(RunaiComponents.SchedulerName, deployment.Spec.Template.Spec.SchedulerName);
        var pods = await fixture.PodsOfAsync(name);
        Assert.Equal(2, pods.Count);
        Assert.All(pods, p =>
        {
            Assert.Equal("0.5", p.Metadata.Annotations[RunaiExtraAnnotations.GpuFraction]);
            Assert.False(p.Spec.Containers[0].Resources?.Limits?.ContainsKey(GpuLabels.ResourceName) == true);
        });
        var annotations = (await fixture.GetAsync<InferenceWorkload>(kind, name)).Metadata.Annotations;
        Assert.Equal("1", annotations[RunaiAnnotations.CurrentAllocatedGpus]);
        Assert.Equal("2", annotations[RunaiAnnotations.RunningPods]);
        await fixture.DeleteAsync(kind, name);
    }

    [Fact]
    public async Task ARunaiJobBecomesABatchJobWhosePodRunsIt()
    {
        var kind = WorkloadKinds.RunaiJob;
        const string name = "batch-one";
        await fixture.SubmitAsync(kind, name, new JsonObject { ["image"] = "etl:1", ["gpus"] = 2, ["backoffLimit"] = 1, ["restartPolicy"] = "OnFailure" });
        var job = await Wait.ForAsync(async () =>
        {
            try
            {
                return await fixture.Admin.BatchV1.ReadNamespacedJobAsync(name, ProjectNamespace);
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                return null;
            }
        }, "the batch Job");
        Assert.Equal(1, job.Spec.BackoffLimit);
        Assert.Equal("OnFailure", job.Spec.Template.Spec.RestartPolicy);
        Assert.Equal(RunaiComponents.SchedulerName, job.Spec.Template.Spec.SchedulerName);
        Assert.Equal(name, job.Spec.Template.Metadata.Labels[RunaiLabels.WorkloadName]);
        // The simulated Job controller makes the pod (with the template's workload labels), the test binder places it
        // and the kubelet runs it.
        await fixture.UntilStatusAsync(kind, name, WorkloadStatus.Running);
        var pods = await fixture.Admin.CoreV1.ListNamespacedPodAsync(ProjectNamespace, labelSelector: $"job-name={name}");
        var pod = Assert.Single(pods.Items);
        Assert.Equal(name, pod.Metadata.Labels[RunaiLabels.WorkloadName]);
        Assert.Equal(job.Metadata.Uid, Assert.Single(pod.Metadata.OwnerReferences).Uid);
        var annotations = (await fixture.GetAsync<RunaiJob>(kind, name)).Metadata.Annotations;
        Assert.Equal("2", annotations[RunaiAnnotations.TotalRequestedGpus]);
        Assert.Equal("2", annotations[RunaiAnnotations.CurrentAllocatedGpus]);
        Assert.Equal("1", annotations[RunaiAnnotations.RunningPods]);
        await fixture.DeleteAsync(kind, name);
    }

    [Fact]
    public async Task ADeletedWorkloadReadsDeletingWhileAFinalizerHoldsItAndItsPodsGoWithIt()
    {
        const string name = "train-deleted";
        await fixture.SubmitAsync(Training, name, new JsonObject { ["image"] = "trainer:1", ["gpus"] = 1, ["workers"] = 1 });
        await fixture.UntilStatusAsync(Training, name, WorkloadStatus.Running);
        await fixture.Admin.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"finalizers":["test.run.ai/hold"]}}""", V1Patch.PatchType.MergePatch),
            Training.Group, Training.Version, ProjectNamespace, Training.Plural, name);
        await fixture.DeleteAsync(Training, name);
        await fixture.UntilStatusAsync(Training, name, WorkloadStatus.Deleting);

        await fixture.Admin.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch),
            Training.Group, Training.Version, ProjectNamespace, Training.Plural, name);
        await Wait.ForAsync(async () => (await fixture.PodsOfAsync(name)).Count == 0, "the workload's pods removed with it", seconds: 20);
    }

    [Fact]
    public async Task ThePendingReasonIsCopiedFromTheSchedulersPodGroup()
    {
        const string name = "train-waits";
        fixture.Binder.Hold(name);
        await fixture.SubmitAsync(Training, name, new JsonObject { ["image"] = "trainer:1", ["gpus"] = 4, ["workers"] = 2 });
        await fixture.UntilStatusAsync(Training, name, WorkloadStatus.Pending);
        var group = new JsonObject
        {
            ["apiVersion"] = PodGroup.KubeGroupVersion,
            ["kind"] = PodGroup.KubeKind,
            ["metadata"] = new JsonObject { ["name"] = PodGroup.NameFor(Training.Kind, name), ["namespace"] = ProjectNamespace },
            ["spec"] = new JsonObject { ["minMember"] = 2, ["workload"] = new JsonObject { ["apiVersion"] = Training.ApiVersion, ["kind"] = Training.Kind, ["name"] = name } },
        };
        await fixture.Admin.CustomObjects.CreateNamespacedCustomObjectAsync(group, PodGroup.KubeGroup, PodGroup.KubeApiVersion, ProjectNamespace, PodGroup.KubePluralName);
        var status = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["phase"] = PodGroupPhases.Pending,
                ["queuePosition"] = 1,
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = PodGroupConditionTypes.Scheduled, ["status"] = "False", ["reason"] = PendingReasons.InsufficientGpus,
                    ["message"] = "the gang needs 8 GPUs on 2 nodes; 6 are free", ["lastTransitionTime"] = "2026-01-01T00:00:00Z",
                }),
            },
        };
        await fixture.Admin.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(status.ToJsonString(), V1Patch.PatchType.MergePatch),
            PodGroup.KubeGroup, PodGroup.KubeApiVersion, ProjectNamespace, PodGroup.KubePluralName, PodGroup.NameFor(Training.Kind, name));

        await Wait.ForAsync(async () => (await fixture.GetAsync<TrainingWorkload>(Training, name)).Metadata.Annotations
            .TryGetValue(RunaiAnnotations.PendingReason, out var r) && r == "InsufficientGpus: the gang needs 8 GPUs on 2 nodes; 6 are free",
            "the pending reason copied from the pod group");

        await using (var recorder = new StatusRecorder(fixture, Training, name))
        {
            fixture.Binder.Release(name);
            await fixture.UntilStatusAsync(Training, name, WorkloadStatus.Running);
            await Wait.ForAsync(() => Task.FromResult(recorder.Seen.Contains(WorkloadStatus.Running)), "the recorder to see Running");
            // Bound, containers starting (the simulated kubelet takes a second): Initializing before Running.
            Assert.Equal([WorkloadStatus.Pending, WorkloadStatus.Initializing, WorkloadStatus.Running], recorder.Seen);
        }

        Assert.False((await fixture.GetAsync<TrainingWorkload>(Training, name)).Metadata.Annotations.ContainsKey(RunaiAnnotations.PendingReason));
        await fixture.DeleteAsync(Training, name);
    }
}
