using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Scheduling;
using static Runai.Scheduling.Tests.Support.Scenarios;

namespace Runai.Scheduling.Tests.Algorithm;

public sealed class PendingReasonTests
{
    private static WorkloadOutcome Outcome(ClusterSnapshot snapshot, string key) => new SchedulingCycle(snapshot).Run().Outcomes[key];

    [Fact]
    public void FourGpuGangWithTwoFreeGpusStaysWholeAndSaysWhy()
    {
        var nodes = Nodes(2, 2);
        var snapshot = new ClusterSnapshot(nodes, [Project("my-project", 8, 16)],
            [.. Running("other", "my-project", 50, true, 0, (0, 2))],
            [Gang("mpi", "my-project", 2, 2)]);
        var result = new SchedulingCycle(snapshot).Run();
        Assert.Empty(result.Bindings);
        var o = result.Outcomes["mpi"];
        Assert.False(o.Placed);
        Assert.Equal(PendingReasons.InsufficientGpus, o.Reason);
        Assert.Equal("the gang needs 4 GPUs for 2 pods; 2 are free, at most 2 whole on one node", o.Message);
        Assert.Equal(1, o.QueuePosition);
    }

    [Fact]
    public void ProjectMissingComesFirst()
    {
        var snapshot = new ClusterSnapshot(Nodes(1, 8), [], [], [Gang("a", "nobody", 1, 1) with { Project = null, Namespace = "team-x" }]);
        var o = Outcome(snapshot, "a");
        Assert.Equal(PendingReasons.ProjectMissing, o.Reason);
        Assert.Equal("no project owns namespace team-x: create a Project whose spec.namespace is team-x", o.Message);
    }

    [Fact]
    public void AGangLargerThanTheLimitIsOverLimit()
    {
        var snapshot = new ClusterSnapshot(Nodes(4, 8), [Project("p", 8, 16)], [], [Gang("big", "p", 3, 8)]);
        var o = Outcome(snapshot, "big");
        Assert.Equal(PendingReasons.OverLimit, o.Reason);
        Assert.Equal("the gang needs 24 GPUs but project p's limit is 16: it can never be placed; ask for fewer GPUs or raise the limit", o.Message);
    }

    [Fact]
    public void APolicyCapIsOverLimitToo()
    {
        var policy = SchedulingPolicy.Parse(new Dictionary<string, string> { [SchedulingPolicy.MaxGpusKey] = "4" }, out var problems);
        Assert.Empty(problems);
        var snapshot = new ClusterSnapshot(Nodes(2, 8), [Project("p", 16)], [], [Gang("g", "p", 1, 8)], policy);
        var o = Outcome(snapshot, "g");
        Assert.Equal(PendingReasons.OverLimit, o.Reason);
        Assert.Contains("at most 4 per workload", o.Message);
    }

    [Fact]
    public void AProjectAtQuotaWithNoIdleGpusIsOverQuotaWithTheNumbers()
    {
        // 8 GPUs in all, all held by my-project (quota 8): a further 4-GPU gang cannot borrow anything.
        var snapshot = new ClusterSnapshot(Nodes(2, 4), [Project("my-project", 8, 16)],
            [.. Running("first", "my-project", 50, true, 0, (0, 4), (1, 4))],
            [Gang("second", "my-project", 2, 2, order: 1)]);
        var o = Outcome(snapshot, "second");
        Assert.Equal(PendingReasons.OverQuota, o.Reason);
        Assert.Equal("project my-project holds 8 of its 8 quota GPUs and over-quota is exhausted: needs 4 more", o.Message);
    }

    [Fact]
    public void AProjectAtItsLimitIsOverQuota()
    {
        var snapshot = new ClusterSnapshot(Nodes(4, 4), [Project("p", 2, 4)],
            [.. Running("first", "p", 50, true, 0, (0, 4))],
            [Gang("second", "p", 1, 1, order: 1)]);
        var o = Outcome(snapshot, "second");
        Assert.Equal(PendingReasons.OverQuota, o.Reason);
        Assert.Equal("project p holds 4 GPUs and its limit is 4: needs 1, 1 more than the limit allows", o.Message);
    }

    [Fact]
    public void NonPreemptibleWorkStaysWithinQuota()
    {
        var snapshot = new ClusterSnapshot(Nodes(4, 4), [Project("p", 2)],
            [.. Running("serve", "p", 125, false, 0, (0, 2))],
            [Gang("build", "p", 1, 1, priority: 100, preemptible: false, order: 1) with { PriorityClassName = "build" }]);
        var o = Outcome(snapshot, "build");
        Assert.Equal(PendingReasons.OverQuota, o.Reason);
        Assert.Equal("project p holds 2 of its 2 quota GPUs in non-preemptible work and priority class build must stay within quota: needs 1 more", o.Message);
    }

    [Fact]
    public void AFullNodePoolIsNamed()
    {
        var nodes = Nodes(1, 4, "small").Concat(Nodes(1, 8, "big").Select(n => n with { Name = "big-01" })).ToArray();
        var snapshot = new ClusterSnapshot(nodes, [Project("p", 16)], [], [Gang("g", "p", 1, 6, pools: ["small"])]);
        var o = Outcome(snapshot, "g");
        Assert.Equal(PendingReasons.NodePoolFull, o.Reason);
        Assert.Equal("node pool small has 4 free GPUs: the gang needs 6", o.Message);
    }

    [Fact]
    public void AntiAffinityNeedsEnoughNodes()
    {
        var snapshot = new ClusterSnapshot(Nodes(1, 8), [Project("p", 8)], [], [Gang("g", "p", 2, 2, antiAffinity: true)]);
        var o = Outcome(snapshot, "g");
        Assert.Equal(PendingReasons.AntiAffinityUnsatisfiable, o.Reason);
        Assert.Equal("the gang's 2 pods must be on distinct nodes but only 1 node has room for one", o.Message);
    }

    [Fact]
    public void LowerPriorityWorkWaitsBehindABlockedHigherPriorityGang()
    {
        var snapshot = new ClusterSnapshot(Nodes(1, 4), [Project("p", 8)], [],
            [Gang("big", "p", 1, 8, priority: 75, order: 2), Gang("small", "p", 1, 1, priority: 50, order: 1)]);
        var result = new SchedulingCycle(snapshot).Run();
        Assert.Equal(PendingReasons.InsufficientGpus, result.Outcomes["big"].Reason);
        Assert.Equal(PendingReasons.QueuedBehindHigherPriority, result.Outcomes["small"].Reason);
        Assert.Equal("1 higher-priority workload of project p waits ahead of it", result.Outcomes["small"].Message);
        Assert.Equal(1, result.Outcomes["big"].QueuePosition);
        Assert.Equal(2, result.Outcomes["small"].QueuePosition);
        Assert.Empty(result.Bindings);
    }

    [Fact]
    public void AGangWithMembersMissingWaitsForThem()
    {
        var snapshot = new ClusterSnapshot(Nodes(2, 8), [Project("p", 8)], [], [Gang("g", "p", 1, 2, minMember: 3)]);
        var result = new SchedulingCycle(snapshot).Run();
        Assert.Equal(PendingReasons.GangIncomplete, result.Outcomes["g"].Reason);
        Assert.Equal("1 of the gang's 3 pods exist: waiting for the rest before placing any", result.Outcomes["g"].Message);
        Assert.Empty(result.Bindings);
    }

    [Fact]
    public void EveryReasonIsCountedOnceAndAllCodesAreReported()
    {
        var snapshot = new ClusterSnapshot(Nodes(1, 4), [Project("p", 8)], [],
            [Gang("big", "p", 1, 8, priority: 75), Gang("small", "p", 1, 1), Gang("orphan", "x", 1, 1) with { Project = null }]);
        var counts = new SchedulingCycle(snapshot).Run().PendingByReason;
        Assert.Equal(PendingReasons.All.Order(), counts.Keys.Order());
        Assert.Equal(1, counts[PendingReasons.InsufficientGpus]);
        Assert.Equal(1, counts[PendingReasons.QueuedBehindHigherPriority]);
        Assert.Equal(1, counts[PendingReasons.ProjectMissing]);
        Assert.Equal(3, counts.Values.Sum());
    }
}
