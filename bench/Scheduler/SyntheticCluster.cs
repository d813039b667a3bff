using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Scheduling;

namespace Runai.Bench.Scheduler;

/// <summary>
/// A large cluster snapshot built in memory, scaled from the 4,000-node shape: 8-GPU nodes in four pools, 100
/// projects, about 140,000 pods of which most are bound (whole-GPU, fractional and CPU-only), and over 5,000
/// pending gangs of 1 to 8 pods. Deterministic for a given size and seed.
/// </summary>
internal static class SyntheticCluster
{
    public const int GpusPerNode = 8;
    public const int Projects = 100;

    public sealed record Shape(int Nodes, int BoundPods, int PendingGangs, int PendingPods, int BoundGpuDevices, long ClusterGpus);

    public static (ClusterSnapshot Snapshot, Shape Shape) Build(int nodes, int seed = 42)
    {
        var random = new Random(seed);
        var scale = nodes / 4000.0;
        var nodeList = new SchedulingNode[nodes];
        for (var i = 0; i < nodes; i++)
        {
            nodeList[i] = new SchedulingNode($"node-{i:00000}", $"pool-{i % 4}", GpusPerNode, 81_920, 128_000, 1L << 40, Schedulable: i % 200 != 7);
        }

        var totalGpus = (long)nodes * GpusPerNode;
        var projects = new SchedulingProject[Projects];
        for (var p = 0; p < Projects; p++)
        {
            var quota = totalGpus * 1000 * 9 / 10 / Projects;
            projects[p] = new SchedulingProject($"project-{p:000}", quota, p % 5 == 0 ? null : quota * 2, 1 + p % 3, (int)ProjectPriority.Normal,
                p % 10 == 0 ? ["pool-1", "pool-2"] : []);
        }

        // Bound pods: whole-GPU, fractional (four a device) and CPU-only, filling nodes in order, about 78% of GPUs.
        var bound = new List<BoundPod>((int)(125_000 * scale) + 16);
        var wholeTarget = (int)(15_000 * scale);
        var fractionTarget = (int)(40_000 * scale);
        var cpuTarget = (int)(70_000 * scale);
        var node = 0;
        var used = 0;
        var workload = 0;
        var boundDevices = 0;
        for (var i = 0; i < wholeTarget; i++)
        {
            if (used == GpusPerNode) { node = (node + 1) % nodes; used = 0; }
            var (project, priority, preemptible) = Owner(random, workload);
            bound.Add(new BoundPod(new PodDemand($"ns/w{i}", 1, CpuMilli: 4_000, MemoryBytes: 16L << 30), $"W/{workload}", project, node, null, priority, preemptible, workload));
            if (i % 2 == 1) workload++;
            used++;
            boundDevices++;
        }

        workload++;
        for (var i = 0; i < fractionTarget; i++)
        {
            if (i % 4 == 0)
            {
                if (used == GpusPerNode) { node = (node + 1) % nodes; used = 0; }
                used++;
                boundDevices++;
            }

            var (project, priority, preemptible) = Owner(random, workload);
            bound.Add(new BoundPod(new PodDemand($"ns/f{i}", FractionMilli: 250, CpuMilli: 1_000), $"W/{workload++}", project, node, used - 1, priority, preemptible, workload));
        }

        for (var i = 0; i < cpuTarget; i++)
        {
            var (project, priority, preemptible) = Owner(random, workload);
            bound.Add(new BoundPod(new PodDemand($"ns/c{i}", CpuMilli: 250, MemoryBytes: 1L << 30), $"W/{workload++}", project, i % nodes, null, priority, preemptible, workload));
        }

        // Pending gangs of mixed shapes until the pod total reaches 140,000 × scale.
        var pending = new List<WorkloadDemand>();
        var podsLeft = (int)(140_000 * scale) - bound.Count;
        var gangs = 0;
        var pendingPods = 0;
        int[] sizes = [1, 1, 1, 2, 2, 4, 8];
        int[] gpus = [1, 1, 2, 4, 8];
        while (pendingPods < podsLeft || gangs < (int)(5_000 * scale))
        {
            var size = sizes[random.Next(sizes.Length)];
            var kind = random.Next(10);
            PodDemand shape = kind switch
            {
                0 => new PodDemand("", FractionMilli: 500, CpuMilli: 1_000),
                1 => new PodDemand("", CpuMilli: 2_000),
                _ => new PodDemand("", gpus[random.Next(gpus.Length)], CpuMilli: 8_000, MemoryBytes: 32L << 30),
            };
            var project = random.Next(Projects);
            var priority = random.Next(4) switch { 0 => PriorityClasses.BuildValue, 1 => PriorityClasses.BuildPreemptibleValue, _ => PriorityClasses.TrainValue };
            var key = $"TrainingWorkload/project-{project:000}/g{gangs}";
            var pods = new PodDemand[size];
            for (var i = 0; i < size; i++) pods[i] = shape with { Key = $"project-{project:000}/g{gangs}-{i}" };
            pending.Add(new WorkloadDemand(key, $"project-{project:000}", $"project-{project:000}", size, pods, priority,
                priority < PriorityClasses.NonPreemptibleThreshold, null, null,
                random.Next(5) == 0 ? Placement.Spread : Placement.Binpack, size > 1 && random.Next(3) == 0, 1_000_000 + gangs));
            gangs++;
            pendingPods += size;
        }

        return (new ClusterSnapshot(nodeList, projects, bound, pending),
            new Shape(nodes, bound.Count, gangs, pendingPods, boundDevices, totalGpus));
    }

    private static (string Project, int Priority, bool Preemptible) Owner(Random random, int workload)
    {
        var project = workload % Projects;
        var nonPreemptible = random.Next(5) == 0;
        return ($"project-{project:000}", nonPreemptible ? PriorityClasses.InferenceValue : PriorityClasses.TrainValue, !nonPreemptible);
    }
}
