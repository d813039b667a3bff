using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Runtime;
using Runai.Workloads.Tests.Support;
using static Runai.Workloads.Tests.Support.Workloads;

namespace Runai.Workloads.Tests;

/// <summary>
/// Bad specs end in a condition and an Event saying what is wrong while the controller carries on; a refused API
/// call is recorded, counted, and recovered from once the permission is back.
/// </summary>
[Collection(WorkloadCluster.Name)]
public sealed class BadSpecAndForbiddenTests(WorkloadClusterFixture fixture)
{
    private static readonly WorkloadKindInfo Training = WorkloadKinds.TrainingWorkload;

    [Fact]
    public async Task AFractionAboveOneIsReportedAndFixingTheSpecRecovers()
    {
        const string name = "train-bad-fraction";
        await fixture.SubmitAsync(Training, name, new JsonObject { ["image"] = "trainer:1", ["gpus"] = 1.5, ["workers"] = 1 });
        var message = await InvalidAsync(name);
        Assert.Equal("spec.gpus 1.5 is a fraction above 1: ask for whole GPUs, or a fraction of one GPU (at most 1)", message);
        Assert.Empty(await fixture.PodsOfAsync(name));
        Assert.Equal(WorkloadStatus.Failed, await fixture.StatusAsync(Training, name));

        await fixture.PatchSpecAsync(Training, name, """{"gpus":1}""");
        await fixture.UntilStatusAsync(Training, name, WorkloadStatus.Running);
        var fixedUp = await fixture.GetAsync<TrainingWorkload>(Training, name);
        Assert.Equal(ConditionStatus.True, fixedUp.Status.Condition(WorkloadConditionTypes.Valid)!.Status);
        Assert.Equal(fixedUp.Metadata.Generation, fixedUp.Status!.ObservedGeneration);
        await fixture.DeleteAsync(Training, name);
    }

    [Fact]
    public async Task ANamespaceOfNoProjectAndANameTooLongAreReportedWhileOthersRun()
    {
        const string ns = "no-project";
        await fixture.Admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        await fixture.SubmitAsync(Training, "orphan", new JsonObject { ["image"] = "trainer:1", ["gpus"] = 1 }, ns);
        var orphan = await InvalidAsync("orphan", ns);
        Assert.Equal("namespace no-project belongs to no project: create a Project with spec.namespace: no-project, or submit the workload in a project's namespace", orphan);

        var longName = new string('x', 57);
        await fixture.SubmitAsync(Training, longName, new JsonObject { ["image"] = "trainer:1", ["gpus"] = 1, ["workers"] = 2 });
        var tooLong = await InvalidAsync(longName);
        Assert.Equal($"name {longName} is 57 characters: the worker pod hostname \"{longName}-worker-1\" made from it would have 66, more than the 63 a label value or DNS name may have", tooLong);

        // The controller carries on with every other workload.
        await fixture.SubmitAsync(Training, "train-alongside", new JsonObject { ["image"] = "trainer:1", ["gpus"] = 1 });
        await fixture.UntilStatusAsync(Training, "train-alongside", WorkloadStatus.Running);
        await fixture.DeleteAsync(Training, "train-alongside");
        await fixture.DeleteAsync(Training, longName);
        await fixture.DeleteAsync(Training, "orphan", ns);
    }

    [Fact]
    public async Task AnMpiJobWhoseSlotsDisagreeWithItsWorkersGetsAnEventAndStillItsAnnotations()
    {
        const string name = "mpi-bad-slots";
        var body = MpiJobAnnotationTests.ShortMpiJob(name, launcherSeconds: 600, workers: 1, gpusPerWorker: 1);
        body["spec"]!["slotsPerWorker"] = 2;
        await fixture.CreateAsync(WorkloadKinds.MpiJob, ProjectNamespace, body);
        var ev = await Wait.ForAsync(async () => (await fixture.EventsAboutAsync(name)).FirstOrDefault(e => e.Reason == "InvalidSpec"), "the InvalidSpec Event on the MPIJob");
        Assert.Equal("Warning", ev.Type);
        Assert.Equal("spec.slotsPerWorker 2 disagrees with the worker's nvidia.com/gpu request 1: each MPI slot is one GPU, so set them equal", ev.Message);
        Assert.Equal(RunaiComponents.WorkloadController, ev.Source.Component);
        await Wait.ForAsync(async () => (await fixture.GetAsync<MpiJob>(WorkloadKinds.MpiJob, name)).Metadata.Annotations?.ContainsKey(RunaiAnnotations.CalculatedStatus) == true,
            "the MPIJob annotated regardless");
        await fixture.DeleteAsync(WorkloadKinds.MpiJob, name);
    }

    [Fact]
    public async Task ARefusedPodCreationIsRecordedCountedAndRecoveredFromOnceThePermissionIsBack()
    {
        const string name = "train-forbidden";
        var role = await fixture.Admin.RbacAuthorizationV1.ReadClusterRoleAsync(RunaiComponents.WorkloadController);
        var original = role.Rules.ToList();
        var forbidden = ControllerMetrics.ApiForbidden.WithLabels(RunaiComponents.WorkloadController, "pods", "create");
        var before = forbidden.Value;
        role.Rules = original.Where(r => !(r.Resources.SequenceEqual(["pods"]) && r.Verbs.Contains("create"))).ToList();
        Assert.Equal(original.Count - 1, role.Rules.Count);
        await fixture.Admin.RbacAuthorizationV1.ReplaceClusterRoleAsync(role, role.Metadata.Name);
        try
        {
            await fixture.SubmitAsync(Training, name, new JsonObject { ["image"] = "trainer:1", ["gpus"] = 1 });
            var condition = await Wait.ForAsync(async () => (await fixture.GetAsync<TrainingWorkload>(Training, name)).Status
                .Condition(WorkloadConditionTypes.Reconciled) is { Status: ConditionStatus.False } c ? c : null, "the Forbidden condition");
            Assert.Equal("Forbidden", condition.Reason);
            Assert.StartsWith("the API server refused workload-controller: 403 Forbidden to POST /api/v1/namespaces/my-project/pods", condition.Message);
            var ev = await Wait.ForAsync(async () => (await fixture.EventsAboutAsync(name)).FirstOrDefault(e => e.Reason == "Forbidden"), "the Forbidden Event");
            Assert.Equal("Warning", ev.Type);
            Assert.True(forbidden.Value > before, "runai_controller_api_forbidden_total{resource=pods,verb=create} did not grow");
        }
        finally
        {
            role = await fixture.Admin.RbacAuthorizationV1.ReadClusterRoleAsync(RunaiComponents.WorkloadController);
            role.Rules = original;
            await fixture.Admin.RbacAuthorizationV1.ReplaceClusterRoleAsync(role, role.Metadata.Name);
        }

        // Retries back off to at most 10 s: the permission restored, the pod is made and the condition clears.
        await fixture.UntilStatusAsync(Training, name, WorkloadStatus.Running, seconds: 30);
        var recovered = await fixture.GetAsync<TrainingWorkload>(Training, name);
        Assert.Equal(ConditionStatus.True, recovered.Status.Condition(WorkloadConditionTypes.Reconciled)!.Status);
        await fixture.DeleteAsync(Training, name);
    }

    /// <summary>Waits for Valid=False and the matching InvalidSpec Event; returns the message both carry.</summary>
    private async Task<string> InvalidAsync(string name, string ns = ProjectNamespace)
    {
        var condition = await Wait.ForAsync(async () => (await fixture.GetAsync<TrainingWorkload>(Training, name, ns)).Status
            .Condition(WorkloadConditionTypes.Valid) is { Status: ConditionStatus.False } c ? c : null, $"{name} marked invalid");
        Assert.Equal("InvalidSpec", condition.Reason);
        var ev = await Wait.ForAsync(async () => (await fixture.EventsAboutAsync(name, ns)).FirstOrDefault(e => e.Reason == "InvalidSpec"), $"the InvalidSpec Event on {name}");
        Assert.Equal("Warning", ev.Type);
        Assert.Equal(condition.Message, ev.Message);
        return condition.Message!;
    }
}
