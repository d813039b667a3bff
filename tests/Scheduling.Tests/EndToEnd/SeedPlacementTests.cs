using k8s;
using Runai.Core;
using Runai.Core.Resources;

namespace Runai.Scheduling.Tests.EndToEnd;

/// <summary>The seed's placement cases on its cluster (8 × H200 nodes with 4 GPUs, project quota 8 / limit 16).</summary>
[Collection(ClusterCollection.Name)]
public sealed class SeedPlacementTests(EightNodeCluster cluster) : IClassFixture<EightNodeCluster>
{
    private const string WorkerSelector = "training.kubeflow.org/job-role=worker";

    [Fact]
    public async Task WithAntiAffinityTheTwoWorkersAreBoundToTwoNodesAndTheLauncherFollows()
    {
        await cluster.CreateProjectAsync("seed-anti", 8, 16);
        await cluster.CreateMpiJobAsync("seed-anti", "nccl-roce-validation", workers: 2, gpusPerWorker: 2, antiAffinity: true);
        var workers = await Wait.UntilAsync(() => cluster.PodsAsync("seed-anti", WorkerSelector),
            pods => pods.Count == 2 && pods.All(p => !string.IsNullOrEmpty(p.Spec.NodeName)), "both workers bound");
        Assert.Equal(2, workers.Select(p => p.Spec.NodeName).Distinct().Count());

        // The launcher comes once the workers run (WaitForWorkersReady) and is placed as an extra pod of the gang.
        await Wait.UntilAsync(() => cluster.PodsAsync("seed-anti", "training.kubeflow.org/job-role=launcher"),
            pods => pods.Count == 1 && !string.IsNullOrEmpty(pods[0].Spec.NodeName), "the launcher bound");

        var group = await Wait.UntilAsync(() => cluster.PodGroupAsync("seed-anti", PodGroup.NameFor("MPIJob", "nccl-roce-validation")),
            g => g?.Status?.Conditions.IsTrue(PodGroupConditionTypes.Scheduled) == true, "the pod group scheduled");
        Assert.Equal(2, group!.Spec.MinMember);
        Assert.Equal("4", group.Spec.Gpus);
        Assert.Equal("seed-anti", group.Spec.Queue);
        Assert.Equal("nccl-roce-validation", group.Metadata.Labels[RunaiLabels.WorkloadName]);
        Assert.Equal("MPIJob", group.Metadata.Labels[RunaiLabels.WorkloadKind]);
        var owner = Assert.Single(group.Metadata.OwnerReferences);
        Assert.Equal("MPIJob", owner.Kind);
        Assert.NotNull(group.Status!.ScheduledTime);
        Assert.Null(group.Status.QueuePosition);
        var events = await cluster.EventsAsync("seed-anti", workers[0].Metadata.Name);
        Assert.Contains(events, e => e.Reason == "Scheduled" && e.Source.Component == RunaiComponents.Scheduler);
    }
}

/// <summary>The seed's "workers on the same node" case, on an empty cluster of its own.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SeedBinPackTests(EightNodeCluster cluster) : IClassFixture<EightNodeCluster>
{
    private const string WorkerSelector = "training.kubeflow.org/job-role=worker";

    [Fact]
    public async Task WithoutAntiAffinityTheWorkersBinPackOntoOneNode()
    {
        await cluster.CreateProjectAsync("seed-pack", 8, 16);
        await cluster.CreateMpiJobAsync("seed-pack", "packed", workers: 2, gpusPerWorker: 2, antiAffinity: false);
        var workers = await Wait.UntilAsync(() => cluster.PodsAsync("seed-pack", WorkerSelector),
            pods => pods.Count == 2 && pods.All(p => !string.IsNullOrEmpty(p.Spec.NodeName)), "both workers bound");
        Assert.Single(workers.Select(p => p.Spec.NodeName).Distinct());
    }
}

/// <summary>A 4-GPU gang on a cluster with 2 GPUs free stays whole and unbound, says why, and starts whole once room frees.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GangTests(TwoSmallNodesCluster cluster) : IClassFixture<TwoSmallNodesCluster>
{
    [Fact]
    public async Task AFourGpuGangWithTwoFreeGpusStaysQueuedWholeAndSaysWhy()
    {
        await cluster.CreateProjectAsync("gang", 8, 16);
        await cluster.CreateMpiJobAsync("gang", "blocker", workers: 1, gpusPerWorker: 2, antiAffinity: false);
        await Wait.UntilAsync(() => cluster.PodsAsync("gang", "training.kubeflow.org/job-name=blocker,training.kubeflow.org/job-role=worker"),
            pods => pods.Count == 1 && !string.IsNullOrEmpty(pods[0].Spec.NodeName), "the blocker bound");

        await cluster.CreateMpiJobAsync("gang", "nccl", workers: 2, gpusPerWorker: 2, antiAffinity: false);
        var groupName = PodGroup.NameFor("MPIJob", "nccl");
        var group = await Wait.UntilAsync(() => cluster.PodGroupAsync("gang", groupName),
            g => g?.Status?.Conditions.Find(PodGroupConditionTypes.Scheduled)?.Reason == PendingReasons.InsufficientGpus, "the gang waiting with a reason");
        var condition = group!.Status!.Conditions.Find(PodGroupConditionTypes.Scheduled)!;
        Assert.Equal(ConditionStatus.False, condition.Status);
        Assert.Equal(PodGroupPhases.Pending, group.Status.Phase);
        Assert.Equal(1, group.Status.QueuePosition);
        // Two 2-GPU nodes, one taken by the blocker: room for one worker, not two.
        Assert.Equal("the gang needs 4 GPUs for 2 pods; 2 are free, at most 2 whole on one node", condition.Message);

        // Still whole a few cycles later: no worker bound, none of the gang's GPUs taken.
        await Task.Delay(1500);
        var workers = await cluster.PodsAsync("gang", "training.kubeflow.org/job-name=nccl,training.kubeflow.org/job-role=worker");
        Assert.Equal(2, workers.Count);
        Assert.All(workers, p => Assert.True(string.IsNullOrEmpty(p.Spec.NodeName), $"{p.Metadata.Name} was bound to {p.Spec.NodeName}"));
        var events = await cluster.EventsAsync("gang", "nccl");
        var failed = Assert.Single(events, e => e.Reason == "FailedScheduling");
        Assert.Equal($"{PendingReasons.InsufficientGpus}: {condition.Message}", failed.Message);

        // Room frees: the gang starts whole.
        await cluster.Admin.CustomObjects.DeleteNamespacedCustomObjectAsync<object>(MpiJob.KubeGroup, MpiJob.KubeApiVersion, "gang", MpiJob.KubePluralName, "blocker");
        workers = await Wait.UntilAsync(() => cluster.PodsAsync("gang", "training.kubeflow.org/job-name=nccl,training.kubeflow.org/job-role=worker"),
            pods => pods.Count == 2 && pods.All(p => !string.IsNullOrEmpty(p.Spec.NodeName)), "the gang bound once the blocker left", seconds: 30);
        Assert.Equal(2, workers.Select(p => p.Spec.NodeName).Distinct().Count());
    }
}
