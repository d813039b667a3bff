using CsCheck;
using Runai.Core;
using Runai.Core.Scheduling;

namespace Runai.Scheduling.Tests.Algorithm;

/// <summary>
/// A project's guaranteed quota is always reachable: on a cluster whose quotas add up to no more than its GPUs, with
/// work beyond quota preemptible (as the rules force), a gang that keeps its project within quota is either placed
/// or gets victims whose eviction lets it in. One-GPU pods, so room is never a matter of fragmentation.
/// </summary>
public sealed class QuotaGuaranteeProperties
{
    private static readonly Gen<(int Nodes, int GpusPerNode, int[] QuotaShares, int[] Held, int[] NonPreemptible, int Claimer, int Need, int Priority)> GenCase =
        from nodes in Gen.Int[1, 6]
        from gpus in Gen.Int[1, 8]
        from shares in Gen.Int[0, 10].Array[2, 4]
        from held in Gen.Int[0, 40].Array[4]
        from np in Gen.Int[0, 40].Array[4]
        from claimer in Gen.Int[0, 3]
        from need in Gen.Int[1, 8]
        from priority in Gen.Int[0, 1]
        select (nodes, gpus, shares, held, np, claimer, need, priority);

    [Fact]
    public void AGangWithinQuotaIsPlacedOrReclaimsItsRoom() => GenCase.Sample(c =>
    {
        var capacity = c.Nodes * c.GpusPerNode;
        var projectsCount = c.QuotaShares.Length;
        var totalShares = Math.Max(1, c.QuotaShares.Sum());
        // Quotas add up to at most the capacity.
        var quotas = c.QuotaShares.Select(s => s * capacity / totalShares).ToArray();
        var claimer = c.Claimer % projectsCount;
        var projects = quotas.Select((q, i) => new SchedulingProject($"p{i}", q * 1000L)).ToArray();
        var nodes = Enumerable.Range(0, c.Nodes).Select(i => new SchedulingNode($"n{i}", null, c.GpusPerNode)).ToArray();
        var free = Enumerable.Repeat(c.GpusPerNode, c.Nodes).ToArray();
        var bound = new List<BoundPod>();
        var order = 0;
        for (var p = 0; p < projectsCount; p++)
        {
            // Non-preemptible work only within quota; the rest preemptible, as much as fits.
            var nonPreemptible = Math.Min(c.NonPreemptible[p], quotas[p]);
            if (p == claimer) nonPreemptible = Math.Min(nonPreemptible, Math.Max(0, quotas[p] - c.Need));
            var held = p == claimer ? Math.Min(c.Held[p], Math.Max(0, quotas[p] - c.Need)) : c.Held[p];
            held = Math.Max(held, nonPreemptible);
            for (var g = 0; g < held; g++)
            {
                var n = Array.FindIndex(free, f => f > 0);
                if (n < 0) break;
                free[n]--;
                var np = g < nonPreemptible;
                bound.Add(new BoundPod(new PodDemand($"p{p}/r{order}", 1), $"r{order}", $"p{p}", n, null,
                    np ? PriorityClasses.BuildValue : PriorityClasses.TrainValue, !np, order));
                order++;
            }
        }

        var claimerHeld = bound.Count(b => b.Project == $"p{claimer}");
        if (claimerHeld + c.Need > quotas[claimer]) return; // not a within-quota claim
        var priority = c.Priority == 0 ? PriorityClasses.TrainValue : PriorityClasses.BuildValue;
        var gang = new WorkloadDemand("claim", $"p{claimer}", $"p{claimer}", c.Need,
            [.. Enumerable.Range(0, c.Need).Select(i => new PodDemand($"p{claimer}/claim-{i}", 1))], priority, priority < 100, Order: 1_000);
        var snapshot = new ClusterSnapshot(nodes, projects, bound, [gang]);
        var cycle = new SchedulingCycle(snapshot);
        if (cycle.Run().Outcomes["claim"].Placed) return;
        var plan = cycle.PlanPreemptions();
        Assert.NotEmpty(plan);
        Assert.All(plan, p => Assert.Equal("claim", p.Preemptor));
        var victims = plan.Select(p => p.Victim).ToHashSet();
        Assert.All(bound.Where(b => victims.Contains(b.Workload)), b => Assert.True(b.Preemptible));
        var after = new SchedulingCycle(snapshot with { Bound = [.. bound.Where(b => !victims.Contains(b.Workload))] }).Run();
        Assert.True(after.Outcomes["claim"].Placed, after.Outcomes["claim"].Message);
    }, iter: 1000);
}
