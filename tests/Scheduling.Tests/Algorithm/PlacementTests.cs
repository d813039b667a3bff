using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Scheduling;
using static Runai.Scheduling.Tests.Support.Scenarios;

namespace Runai.Scheduling.Tests.Algorithm;

public sealed class PlacementTests
{
    [Fact]
    public void WithoutAntiAffinityTwoWorkersBinPackOntoOneNode()
    {
        var snapshot = new ClusterSnapshot(Nodes(8, 4), [Project("my-project", 8, 16)], [], [Gang("mpi", "my-project", 2, 2)]);
        var bindings = new SchedulingCycle(snapshot).Run().Bindings;
        Assert.Equal(2, bindings.Count);
        Assert.Single(bindings.Select(b => b.NodeName).Distinct());
    }

    [Fact]
    public void WithAntiAffinityTwoWorkersLandOnTwoNodes()
    {
        var snapshot = new ClusterSnapshot(Nodes(8, 4), [Project("my-project", 8, 16)], [], [Gang("mpi", "my-project", 2, 2, antiAffinity: true)]);
        var bindings = new SchedulingCycle(snapshot).Run().Bindings;
        Assert.Equal(2, bindings.Count);
        Assert.Equal(2, bindings.Select(b => b.NodeName).Distinct().Count());
    }

    [Fact]
    public void BinPackFillsTheFullestNodeAndSpreadTheEmptiest()
    {
        var nodes = Nodes(2, 8);
        var bound = Running("r", "p", 50, true, 0, (1, 6)).ToList();
        var pack = new SchedulingCycle(new ClusterSnapshot(nodes, [Project("p", 16)], bound, [Gang("a", "p", 1, 2)])).Run().Bindings.Single();
        Assert.Equal("node-02", pack.NodeName);
        var spread = new SchedulingCycle(new ClusterSnapshot(nodes, [Project("p", 16)], bound, [Gang("a", "p", 1, 2, placement: Placement.Spread)])).Run().Bindings.Single();
        Assert.Equal("node-01", spread.NodeName);
    }

    [Fact]
    public void NodePoolsAreTriedInOrder()
    {
        var nodes = new[] { new SchedulingNode("a-1", "a", 4), new SchedulingNode("b-1", "b", 4) };
        var bound = Running("r", "p", 50, true, 0, (1, 2)).ToList();
        var result = new SchedulingCycle(new ClusterSnapshot(nodes, [Project("p", 8, pools: ["b", "a"])], bound, [Gang("g", "p", 1, 4)])).Run();
        Assert.Equal("a-1", result.Bindings.Single().NodeName);
        var first = new SchedulingCycle(new ClusterSnapshot(nodes, [Project("p", 8, pools: ["b", "a"])], bound, [Gang("g", "p", 1, 2)])).Run();
        Assert.Equal("b-1", first.Bindings.Single().NodeName);
    }

    [Fact]
    public void FractionsShareADevice()
    {
        var pods = new[] { new PodDemand("p/a", FractionMilli: 500), new PodDemand("p/b", FractionMilli: 500), new PodDemand("p/c", GpuMemoryMiB: 20_000) };
        var pending = pods.Select((pod, i) => new WorkloadDemand($"w{i}", "p", "p", 1, [pod], Order: i)).ToList();
        var result = new SchedulingCycle(new ClusterSnapshot(Nodes(1, 2), [Project("p", 2)], [], pending)).Run();
        Assert.Equal(3, result.Bindings.Count);
        Assert.Equal(result.Bindings[0].GpuIndex, result.Bindings[1].GpuIndex);
        Assert.NotNull(result.Bindings[2].GpuIndex);
        Assert.NotEqual(result.Bindings[0].GpuIndex, result.Bindings[2].GpuIndex);
    }

    [Fact]
    public void IdleGpusAreSharedByOverQuotaWeight()
    {
        // 12 idle GPUs, both projects at quota 0 asking for 12 one-GPU workloads each: weight 2 gets twice as many.
        var pending = new List<WorkloadDemand>();
        for (var i = 0; i < 12; i++)
        {
            pending.Add(Gang($"a{i}", "a", 1, 1, order: i));
            pending.Add(Gang($"b{i}", "b", 1, 1, order: i));
        }

        var result = new SchedulingCycle(new ClusterSnapshot(Nodes(3, 4), [Project("a", 0, weight: 2), Project("b", 0, weight: 1)], [], pending)).Run();
        Assert.Equal(8, result.Bindings.Count(b => b.Workload.StartsWith('a')));
        Assert.Equal(4, result.Bindings.Count(b => b.Workload.StartsWith('b')));
    }

    [Fact]
    public void AProjectBelowQuotaGoesBeforeOneAboveIt()
    {
        var pending = new List<WorkloadDemand> { Gang("over", "a", 1, 4, order: 0), Gang("within", "b", 1, 4, order: 1) };
        var bound = Running("held", "a", 50, true, 0, (0, 4)).ToList();
        var result = new SchedulingCycle(new ClusterSnapshot(Nodes(2, 4), [Project("a", 4, 8), Project("b", 4)], bound, pending)).Run();
        Assert.Equal("within", result.Bindings.Single().Workload);
        Assert.Equal(PendingReasons.OverQuota, result.Outcomes["over"].Reason);
    }

    [Fact]
    public void ReclaimTakesOverQuotaWorkOfTheOtherProject()
    {
        // Project a (quota 8, limit 16) holds all 16 GPUs in four 4-GPU workloads; b (quota 8) asks for 8.
        var bound = new List<BoundPod>();
        for (var i = 0; i < 4; i++) bound.AddRange(Running($"a{i}", "a", 50, true, i, (i, 4)));
        var snapshot = new ClusterSnapshot(Nodes(4, 4), [Project("a", 8, 16), Project("b", 8)], bound, [Gang("b0", "b", 2, 4, order: 10)]);
        var cycle = new SchedulingCycle(snapshot, releasingCountsAsFree: true);
        Assert.Equal(PendingReasons.InsufficientGpus, cycle.Run().Outcomes["b0"].Reason);
        var plan = cycle.PlanPreemptions();
        Assert.Equal(2, plan.Count);
        Assert.All(plan, p => Assert.Equal(PreemptionKind.Reclaim, p.Kind));
        Assert.All(plan, p => Assert.Equal("b0", p.Preemptor));
        // Newest first: a3 and a2 go, a keeps its quota of 8.
        Assert.Equal(["a2", "a3"], plan.Select(p => p.Victim).Order());
        Assert.Contains("project a held 16 GPUs, over its quota of 8", plan[0].Message);
    }

    [Fact]
    public void NothingIsReclaimedFromAProjectWithinItsQuota()
    {
        var bound = new List<BoundPod>();
        for (var i = 0; i < 2; i++) bound.AddRange(Running($"a{i}", "a", 50, true, i, (i, 4)));
        var snapshot = new ClusterSnapshot(Nodes(2, 4), [Project("a", 8), Project("b", 8)], bound, [Gang("b0", "b", 1, 4)]);
        var cycle = new SchedulingCycle(snapshot);
        cycle.Run();
        Assert.Empty(cycle.PlanPreemptions());
    }

    [Fact]
    public void HigherPriorityWorkPreemptsLowerWithinTheProjectButNeverNonPreemptible()
    {
        var bound = Running("train", "p", 50, true, 0, (0, 2)).Concat(Running("serve", "p", 125, false, 1, (0, 2))).ToList();
        var snapshot = new ClusterSnapshot(Nodes(1, 4), [Project("p", 4)], bound,
            [Gang("build", "p", 1, 2, priority: 100, preemptible: false, order: 5)]);
        var cycle = new SchedulingCycle(snapshot);
        Assert.Equal(PendingReasons.InsufficientGpus, cycle.Run().Outcomes["build"].Reason);
        var plan = Assert.Single(cycle.PlanPreemptions());
        Assert.Equal("train", plan.Victim);
        Assert.Equal(PreemptionKind.Priority, plan.Kind);
    }
}
