using Runai.Core.Resources;
using Runai.Core.Scheduling;

namespace Runai.Scheduling.Tests.Support;

/// <summary>Small hand-written clusters for the reason and placement cases.</summary>
internal static class Scenarios
{
    public static SchedulingNode[] Nodes(int count, int gpus, string? pool = "pool-a", long memoryMiB = 80_000) =>
        [.. Enumerable.Range(1, count).Select(i => new SchedulingNode($"node-{i:00}", pool, gpus, memoryMiB))];

    public static SchedulingProject Project(string name, int quota, int? limit = null, int weight = 1, params string[] pools) =>
        new(name, quota * 1000L, limit is int l ? l * 1000L : null, weight, NodePools: pools);

    public static WorkloadDemand Gang(string key, string project, int pods, int gpusEach, int priority = 50, bool preemptible = true,
        bool antiAffinity = false, Placement placement = Placement.Binpack, IReadOnlyList<string>? pools = null, long order = 0, int? minMember = null) =>
        new(key, project, project, minMember ?? pods,
            [.. Enumerable.Range(0, pods).Select(i => new PodDemand($"{project}/{key}-{i}", gpusEach))],
            priority, preemptible, null, pools, placement, antiAffinity, order);

    /// <summary>Pods of a running workload, one per GPU count given, on the given nodes.</summary>
    public static IEnumerable<BoundPod> Running(string key, string project, int priority, bool preemptible, long order, params (int Node, int Gpus)[] pods) =>
        pods.Select((p, i) => new BoundPod(new PodDemand($"{project}/{key}-{i}", p.Gpus), key, project, p.Node, null, priority, preemptible, order));
}
