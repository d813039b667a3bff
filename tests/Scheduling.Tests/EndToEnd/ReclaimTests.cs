using System.Text.Json.Nodes;
using Runai.Controllers.Overseer;
using Runai.Core;
using Runai.Core.Resources;

namespace Runai.Scheduling.Tests.EndToEnd;

/// <summary>
/// The seed's project (quota 8, limit 16) goes over quota while GPUs are idle and is reclaimed when another project
/// claims its guaranteed share — by workload-overseer; without it, placement goes on and nothing is preempted.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ReclaimTests(FourNodeCluster cluster) : IClassFixture<FourNodeCluster>
{
    [Fact]
    public async Task AProjectOverQuotaIsReclaimedWhenAnotherClaimsItsGuaranteedShare()
    {
        await cluster.CreateProjectAsync("team-a", 8, 16);
        await cluster.CreateProjectAsync("team-b", 8);
        for (var i = 0; i < 4; i++)
        {
            await cluster.CreateTrainingAsync("team-a", $"a{i}", workers: 1, gpusEach: 4);
            // Distinct creation times, so "newest first" among equal victims is well defined.
            await Task.Delay(1100);
        }

        // All 16 GPUs idle were taken: team-a holds 16, twice its quota.
        await Wait.UntilAsync(() => cluster.PodsAsync("team-a"), pods => pods.Count == 4 && pods.All(p => !string.IsNullOrEmpty(p.Spec.NodeName)), "team-a over quota on all 16 GPUs");

        await cluster.CreateTrainingAsync("team-b", "b0", workers: 2, gpusEach: 4);
        var waiting = await Wait.UntilAsync(() => cluster.PodGroupAsync("team-b", PodGroup.NameFor("TrainingWorkload", "b0")),
            g => g?.Status?.Conditions.Find(PodGroupConditionTypes.Scheduled)?.Reason == PendingReasons.InsufficientGpus, "team-b waiting for room");
        Assert.Equal("the gang needs 8 GPUs for 2 pods; 0 are free, at most 0 whole on one node", waiting!.Status!.Conditions.Find(PodGroupConditionTypes.Scheduled)!.Message);

        // Without the overseer nothing is preempted.
        await Task.Delay(2000);
        Assert.All(await cluster.PodsAsync("team-a"), p => Assert.Null(p.Metadata.DeletionTimestamp));

        await cluster.StartAsync(new OverseerComponent(new OverseerOptions { Resync = TimeSpan.FromMilliseconds(500), Settle = TimeSpan.FromMilliseconds(200) }));
        var placed = await Wait.UntilAsync(() => cluster.PodsAsync("team-b"), pods => pods.Count == 2 && pods.All(p => !string.IsNullOrEmpty(p.Spec.NodeName)),
            "team-b's gang placed after the reclaim", seconds: 30);
        Assert.Equal(2, placed.Count);

        // The two newest of team-a went, whole; team-a keeps its quota of 8.
        var remaining = await cluster.PodsAsync("team-a");
        Assert.Equal(["a0-worker-0", "a1-worker-0"], remaining.Where(p => p.Metadata.DeletionTimestamp is null).Select(p => p.Metadata.Name).Order());
        foreach (var victim in (string[])["a2", "a3"])
        {
            var annotations = (await cluster.GetTrainingAsync("team-a", victim))["metadata"]!["annotations"]!.AsObject();
            Assert.Equal("1", (string?)annotations[RunaiExtraAnnotations.Preemptions]);
            Assert.Contains("reclaimed for TrainingWorkload/team-b/b0", (string?)annotations[RunaiExtraAnnotations.LastPreemption]);
            var events = await cluster.EventsAsync("team-a", victim);
            Assert.Contains(events, e => e.Reason == "Reclaimed" && e.Source.Component == RunaiComponents.WorkloadOverseer && e.Message.Contains("project team-a held 16 GPUs", StringComparison.Ordinal));
            var group = await cluster.PodGroupAsync("team-a", PodGroup.NameFor("TrainingWorkload", victim));
            Assert.Equal(1, group!.Status!.Preemptions);
            Assert.True(group.Status.Conditions.IsTrue(PodGroupConditionTypes.Preempted));
        }

        foreach (var kept in (string[])["a0", "a1"])
        {
            var annotations = (await cluster.GetTrainingAsync("team-a", kept))["metadata"]!["annotations"] as JsonObject;
            Assert.Null(annotations?[RunaiExtraAnnotations.Preemptions]);
        }

        var preemptorEvents = await cluster.EventsAsync("team-b", "b0");
        Assert.Equal(2, preemptorEvents.Count(e => e.Reason == "PreemptedOthers"));
    }
}
