using CsCheck;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Scheduling;
using Runai.Scheduling.Tests.Support;

namespace Runai.Scheduling.Tests.Algorithm;

/// <summary>
/// Properties over random clusters and workload mixes: whatever the cycle decides, no node holds more than it has,
/// no gang is placed in part, no project passes its limit, non-preemptible work stays within quota, anti-affinity
/// and node pools hold, and every waiting workload has exactly one reason and a queue place.
/// </summary>
public sealed class InvariantProperties
{
    private const int Iterations = 400;

    private static readonly string[] PoolNames = ["p0", "p1", "p2"];

    private static readonly Gen<SchedulingNode> GenNode =
        from gpus in Gen.Int[0, 8]
        from pool in Gen.Int[0, 2]
        from schedulable in Gen.Int[0, 9]
        from memory in Gen.Int[1, 4]
        select new SchedulingNode("n", PoolNames[pool], gpus, memory * 20_000L, 64_000, 512L << 30, schedulable > 0);

    private static readonly Gen<SchedulingProject> GenProject =
        from quota in Gen.Int[0, 16]
        from extra in Gen.Int[-1, 16]
        from weight in Gen.Int[1, 3]
        from rank in Gen.Int[0, 4]
        from pools in Gen.Int[0, 3]
        select new SchedulingProject("p", quota * 1000L, extra < 0 ? null : (quota + extra) * 1000L, weight, rank,
            pools == 3 ? [] : pools == 2 ? ["p2", "p0"] : [PoolNames[pools]]);

    // A pod shape: 0-4 whole GPUs, or a fraction, or GPU memory, or CPU only.
    private static readonly Gen<PodDemand> GenPod =
        from kind in Gen.Int[0, 9]
        from gpus in Gen.Int[1, 4]
        from fraction in Gen.Int[1, 9]
        from cpu in Gen.Int[0, 16]
        select kind switch
        {
            <= 5 => new PodDemand("", gpus, CpuMilli: cpu * 1000),
            6 => new PodDemand("", FractionMilli: fraction * 100, CpuMilli: cpu * 1000),
            7 => new PodDemand("", GpuMemoryMiB: fraction * 5_000L),
            _ => new PodDemand("", CpuMilli: cpu * 1000),
        };

    private static readonly Gen<(int Project, int Pods, PodDemand Pod, int Priority, int Flags, int Pools)> GenWorkload =
        Gen.Select(Gen.Int[0, 4], Gen.Int[1, 4], GenPod, Gen.Int[0, 3], Gen.Int[0, 15], Gen.Int[0, 4]);

    private static readonly Gen<(int Workload, int Node, int Device)> GenRunning = Gen.Select(Gen.Int[0, 30], Gen.Int[0, 100], Gen.Int[0, 7]);

    internal static readonly Gen<ClusterSnapshot> GenSnapshot =
        from nodes in GenNode.Array[1, 10]
        from projects in GenProject.Array[1, 4]
        from workloads in GenWorkload.Array[1, 30]
        from running in GenRunning.Array[0, 30]
        select Build(nodes, projects, workloads, running);

    private static readonly int[] Priorities = [PriorityClasses.TrainValue, PriorityClasses.BuildPreemptibleValue, PriorityClasses.BuildValue, PriorityClasses.InferenceValue];

    /// <summary>
    /// Turns raw numbers into a consistent snapshot: node and project names, running pods only where they fit (and
    /// within limit, non-preemptible within quota), and the rest of the workloads pending.
    /// </summary>
    internal static ClusterSnapshot Build(SchedulingNode[] rawNodes, SchedulingProject[] rawProjects,
        (int Project, int Pods, PodDemand Pod, int Priority, int Flags, int Pools)[] rawWorkloads, (int Workload, int Node, int Device)[] running)
    {
        var nodes = rawNodes.Select((n, i) => n with { Name = $"node-{i:00}" }).ToArray();
        var projects = rawProjects.Select((p, i) => p with { Name = $"proj-{i}" }).ToArray();
        var held = new long[projects.Length];
        var nonPreemptible = new long[projects.Length];
        var wholeUsed = new int[nodes.Length];
        var shared = nodes.Select(n => new int[Math.Max(1, n.Gpus)]).ToArray();
        var cpuUsed = new long[nodes.Length];
        var bound = new List<BoundPod>();
        var pending = new List<WorkloadDemand>();
        var runningBy = running.GroupBy(r => r.Workload).ToDictionary(g => g.Key, g => g.ToList());
        for (var w = 0; w < rawWorkloads.Length; w++)
        {
            var (projectIndex, pods, pod, priorityIndex, flags, poolChoice) = rawWorkloads[w];
            var missing = projectIndex >= projects.Length;
            var project = missing ? null : projects[projectIndex];
            var priority = Priorities[priorityIndex];
            var preemptible = priority < PriorityClasses.NonPreemptibleThreshold;
            var key = $"w{w}";
            var ns = project?.Name ?? "orphans";
            var antiAffinity = (flags & 1) != 0;
            var placement = (flags & 2) != 0 ? Placement.Spread : Placement.Binpack;
            var minMember = (flags & 12) == 12 ? pods + 1 : pods; // sometimes a member is still missing
            IReadOnlyList<string> pools = poolChoice switch { 0 => ["p0"], 1 => ["p1", "p2"], _ => [] };
            var demands = Enumerable.Range(0, pods).Select(i => pod with { Key = $"{ns}/{key}-{i}" }).ToList();
            // Some workloads run already (all their pods placed where they fit), the rest wait.
            if (!missing && runningBy.TryGetValue(w, out var spots) && minMember == pods)
            {
                var placed = new List<BoundPod>();
                var wholeBackup = (int[])wholeUsed.Clone();
                var sharedBackup = shared.Select(s => (int[])s.Clone()).ToArray();
                var cpuBackup = (long[])cpuUsed.Clone();
                var nodesUsed = new HashSet<int>();
                long milli = 0;
                var ok = true;
                for (var i = 0; i < demands.Count && ok; i++)
                {
                    var spot = spots[i % spots.Count];
                    var n = (spot.Node + i) % nodes.Length;
                    var node = nodes[n];
                    var d = demands[i];
                    ok = node.Schedulable && cpuUsed[n] + d.CpuMilli <= node.CpuMilli && (!antiAffinity || nodesUsed.Add(n));
                    int? device = null;
                    if (ok && d.Gpus > 0)
                    {
                        ok = wholeUsed[n] + SharedDevices(shared[n]) + d.Gpus <= node.Gpus;
                        if (ok) wholeUsed[n] += d.Gpus;
                        milli += d.Gpus * 1000L;
                    }
                    else if (ok && d.IsShared)
                    {
                        var m = d.SharedMilliOn(node.GpuMemoryMiB);
                        var dev = node.Gpus == 0 ? -1 : spot.Device % node.Gpus;
                        ok = dev >= 0 && m <= 1000 && shared[n][dev] + m <= 1000 && (shared[n][dev] > 0 || wholeUsed[n] + SharedDevices(shared[n]) + 1 <= node.Gpus);
                        if (ok) shared[n][dev] += m;
                        device = dev;
                        milli += m;
                    }

                    if (ok) cpuUsed[n] += d.CpuMilli;
                    placed.Add(new BoundPod(d, key, project!.Name, n, device, priority, preemptible, w));
                }

                var p = projectIndex;
                ok = ok && (project!.LimitMilli is not long limit || held[p] + milli <= limit) && (preemptible || nonPreemptible[p] + milli <= project.QuotaMilli);
                if (ok)
                {
                    held[p] += milli;
                    if (!preemptible) nonPreemptible[p] += milli;
                    bound.AddRange(placed);
                    continue;
                }

                wholeUsed = wholeBackup;
                shared = sharedBackup;
                cpuUsed = cpuBackup;
            }

            pending.Add(new WorkloadDemand(key, project?.Name, ns, minMember, demands, priority, preemptible, null, pools, placement, antiAffinity, w));
        }

        return new ClusterSnapshot(nodes, projects, bound, pending);
    }

    private static int SharedDevices(int[] devices) => devices.Count(d => d > 0);

    [Fact]
    public void NoNodeHoldsMoreThanItHas() => GenSnapshot.Sample(snapshot =>
    {
        var result = new SchedulingCycle(snapshot).Run();
        var whole = new int[snapshot.Nodes.Count];
        var shared = snapshot.Nodes.Select(n => new Dictionary<int, int>()).ToArray();
        var cpu = new long[snapshot.Nodes.Count];
        var pods = snapshot.Pending.SelectMany(w => w.Pending).ToDictionary(p => p.Key);
        void Add(int node, PodDemand pod, int? device)
        {
            whole[node] += pod.Gpus;
            cpu[node] += pod.CpuMilli;
            if (!pod.IsShared) return;
            Assert.NotNull(device);
            shared[node][device!.Value] = shared[node].GetValueOrDefault(device.Value) + pod.SharedMilliOn(snapshot.Nodes[node].GpuMemoryMiB);
        }

        foreach (var b in snapshot.Bound) Add(b.Node, b.Demand, b.SharedDevice);
        foreach (var b in result.Bindings)
        {
            Assert.True(snapshot.Nodes[b.Node].Schedulable, $"{b.PodKey} bound to unschedulable {b.NodeName}");
            Add(b.Node, pods[b.PodKey], b.GpuIndex);
        }

        for (var n = 0; n < whole.Length; n++)
        {
            var node = snapshot.Nodes[n];
            Assert.True(whole[n] + shared[n].Count(d => d.Value > 0) <= node.Gpus, $"{node.Name}: {whole[n]} whole + {shared[n].Count} shared devices > {node.Gpus}");
            Assert.All(shared[n], d => Assert.True(d.Value <= 1000 && d.Key < node.Gpus, $"{node.Name} device {d.Key} at {d.Value}/1000"));
            Assert.True(cpu[n] <= node.CpuMilli, $"{node.Name}: cpu {cpu[n]} > {node.CpuMilli}");
        }
    }, iter: Iterations, print: Describe.Snapshot);

    [Fact]
    public void GangsArePlacedWholeOrNotAtAll() => GenSnapshot.Sample(snapshot =>
    {
        var result = new SchedulingCycle(snapshot).Run();
        var boundBy = snapshot.Bound.GroupBy(b => b.Workload).ToDictionary(g => g.Key, g => g.Count());
        foreach (var w in snapshot.Pending)
        {
            var placed = result.Bindings.Count(b => b.Workload == w.Key);
            var before = boundBy.GetValueOrDefault(w.Key);
            var outcome = result.Outcomes[w.Key];
            if (!outcome.Placed) Assert.Equal(0, placed);
            else Assert.True(before + placed >= w.MinMember, $"{w.Key}: {before}+{placed} of {w.MinMember} placed");
            Assert.True(placed <= w.Pending.Count);
        }
    }, iter: Iterations, print: Describe.Snapshot);

    [Fact]
    public void NoProjectPassesItsLimitAndNonPreemptibleWorkStaysWithinQuota() => GenSnapshot.Sample(snapshot =>
    {
        var result = new SchedulingCycle(snapshot).Run();
        var pods = snapshot.Pending.SelectMany(w => w.Pending.Select(p => (w, p))).ToDictionary(x => x.p.Key);
        foreach (var project in snapshot.Projects)
        {
            long held = 0, nonPreemptible = 0;
            foreach (var b in snapshot.Bound.Where(b => b.Project == project.Name))
            {
                var m = Milli(b.Demand, snapshot.Nodes[b.Node]);
                held += m;
                if (!b.Preemptible) nonPreemptible += m;
            }

            foreach (var b in result.Bindings)
            {
                var (w, pod) = pods[b.PodKey];
                if (w.Project != project.Name) continue;
                var m = Milli(pod, snapshot.Nodes[b.Node]);
                held += m;
                if (!w.Preemptible) nonPreemptible += m;
            }

            if (project.LimitMilli is long limit) Assert.True(held <= limit, $"{project.Name} holds {held} over its limit {limit}");
            Assert.True(nonPreemptible <= project.QuotaMilli, $"{project.Name} non-preemptible {nonPreemptible} over quota {project.QuotaMilli}");
        }
    }, iter: Iterations, print: Describe.Snapshot);

    [Fact]
    public void AntiAffinityAndNodePoolsHold() => GenSnapshot.Sample(snapshot =>
    {
        var result = new SchedulingCycle(snapshot).Run();
        var projects = snapshot.Projects.ToDictionary(p => p.Name);
        foreach (var w in snapshot.Pending)
        {
            var nodes = result.Bindings.Where(b => b.Workload == w.Key).Select(b => b.Node).ToList();
            if (w.AntiAffinity)
            {
                var all = nodes.Concat(snapshot.Bound.Where(b => b.Workload == w.Key).Select(b => b.Node)).ToList();
                Assert.Equal(all.Count, all.Distinct().Count());
            }

            var pools = w.NodePools is { Count: > 0 } own ? own : w.Project is null ? [] : projects[w.Project].NodePools ?? [];
            if (pools.Count > 0) Assert.All(nodes, n => Assert.Contains(snapshot.Nodes[n].Pool, pools));
            // With pools named, one gang goes to one pool: members are never split across pools.
            if (pools.Count > 0) Assert.True(nodes.Select(n => snapshot.Nodes[n].Pool).Distinct().Count() <= 1, $"{w.Key} split across pools");
        }
    }, iter: Iterations, print: Describe.Snapshot);

    [Fact]
    public void EveryWaitingWorkloadHasOneReasonAndAQueuePlace() => GenSnapshot.Sample(snapshot =>
    {
        var result = new SchedulingCycle(snapshot).Run();
        Assert.Equal(snapshot.Pending.Count, result.Outcomes.Count);
        foreach (var group in result.Outcomes.Values.Where(o => !o.Placed).GroupBy(o => o.Project))
        {
            foreach (var o in group)
            {
                Assert.Contains(o.Reason, PendingReasons.All);
                Assert.False(string.IsNullOrWhiteSpace(o.Message));
            }

            var positions = group.Where(o => o.Reason != PendingReasons.ProjectMissing).Select(o => o.QueuePosition!.Value).Order().ToList();
            Assert.Equal(Enumerable.Range(1, positions.Count), positions);
        }

        Assert.All(result.Outcomes.Values.Where(o => o.Placed), o => Assert.Null(o.Reason));
        Assert.Equal(result.Outcomes.Values.Count(o => !o.Placed), result.PendingByReason.Values.Sum());
    }, iter: Iterations, print: Describe.Snapshot);

    [Fact]
    public void VictimsArePreemptibleWholeGangsAndThePreemptorThenFits() => GenSnapshot.Sample(snapshot =>
    {
        var cycle = new SchedulingCycle(snapshot);
        cycle.Run();
        var plan = cycle.PlanPreemptions();
        var byWorkload = snapshot.Bound.GroupBy(b => b.Workload).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var p in plan)
        {
            var pods = byWorkload[p.Victim];
            Assert.All(pods, b => Assert.True(b.Preemptible, $"non-preemptible {p.Victim} chosen"));
            Assert.Equal(pods.Select(b => b.Demand.Key).Order(), p.VictimPods.Order());
            if (p.Kind == PreemptionKind.Priority) Assert.Equal(p.PreemptorProject, p.VictimProject);
            else Assert.NotEqual(p.PreemptorProject, p.VictimProject);
        }

        // Evicting the victims makes room for each preemptor.
        if (plan.Count == 0) return;
        var victims = plan.Select(p => p.Victim).ToHashSet();
        foreach (var preemptor in plan.Select(p => p.Preemptor).Distinct())
        {
            var after = snapshot with
            {
                Bound = [.. snapshot.Bound.Where(b => !victims.Contains(b.Workload))],
                Pending = [.. snapshot.Pending.Where(w => w.Key == preemptor)],
            };
            var outcome = new SchedulingCycle(after).Run().Outcomes[preemptor];
            Assert.True(outcome.Placed, $"{preemptor} still waits after its victims left: {outcome.Message}");
        }
    }, iter: Iterations, print: Describe.Snapshot);

    private static long Milli(PodDemand pod, SchedulingNode node) => pod.Gpus * 1000L + (pod.IsShared ? pod.SharedMilliOn(node.GpuMemoryMiB) : 0);
}
