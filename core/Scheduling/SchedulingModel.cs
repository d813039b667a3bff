using Runai.Core.Resources;

namespace Runai.Core.Scheduling;

/// <summary>GPU amounts inside the scheduler are whole thousandths of a device, so sums and comparisons are exact and cheap.</summary>
public static class GpuMilli
{
    public const int PerDevice = 1000;

    public static long Of(GpuQuantity gpus) => (long)decimal.Ceiling(gpus.Value * PerDevice);

    public static GpuQuantity ToQuantity(long milli) => GpuQuantity.FromDecimal(Math.Max(0, milli) / (decimal)PerDevice);

    /// <summary>"4", "0.5": how the sentences show an amount.</summary>
    public static string Format(long milli) => ToQuantity(milli).ToString();
}

/// <summary>A node as the scheduler sees it: its pool, its devices and what it can still hold besides GPUs.</summary>
/// <param name="GpuMemoryMiB">Memory of one device (for <c>gpu-memory</c> requests); 0 when unknown.</param>
/// <param name="CpuMilli">Allocatable CPU in millicores; <see cref="long.MaxValue"/> when the node does not say.</param>
/// <param name="MemoryBytes">Allocatable memory; <see cref="long.MaxValue"/> when the node does not say.</param>
/// <param name="Schedulable">False for a cordoned or not-ready node: nothing new goes there.</param>
public sealed record SchedulingNode(
    string Name,
    string? Pool,
    int Gpus,
    long GpuMemoryMiB = 0,
    long CpuMilli = long.MaxValue,
    long MemoryBytes = long.MaxValue,
    bool Schedulable = true);

/// <summary>A project's GPU entitlement.</summary>
/// <param name="QuotaMilli">Guaranteed GPUs.</param>
/// <param name="LimitMilli">Most GPUs the project may hold, quota included; null means no cap.</param>
/// <param name="Rank">The project's <see cref="ProjectPriority"/>: higher ranks get idle GPUs first.</param>
/// <param name="NodePools">Pools its workloads use when they name none, preferred first; empty means any node.</param>
public sealed record SchedulingProject(
    string Name,
    long QuotaMilli,
    long? LimitMilli = null,
    int OverQuotaWeight = 1,
    int Rank = (int)ProjectPriority.Normal,
    IReadOnlyList<string>? NodePools = null);

/// <summary>What one pod asks for: whole devices, or a share of one device (a fraction or GPU memory), and CPU/memory.</summary>
/// <param name="Key">The pod's <c>namespace/name</c>.</param>
/// <param name="Gpus">Whole devices.</param>
/// <param name="FractionMilli">A share of one device in thousandths (gpu-fraction), 0 when none.</param>
/// <param name="GpuMemoryMiB">A share of one device by memory (gpu-memory), 0 when none.</param>
public readonly record struct PodDemand(string Key, int Gpus = 0, int FractionMilli = 0, long GpuMemoryMiB = 0, long CpuMilli = 0, long MemoryBytes = 0)
{
    public bool IsShared => FractionMilli > 0 || GpuMemoryMiB > 0;

    /// <summary>The share of a device of <paramref name="deviceMemoryMiB"/> this pod takes, in thousandths (0 for whole or none).</summary>
    public int SharedMilliOn(long deviceMemoryMiB)
    {
        if (FractionMilli > 0) return Math.Min(GpuMilli.PerDevice, FractionMilli);
        if (GpuMemoryMiB <= 0) return 0;
        if (deviceMemoryMiB <= 0) return GpuMilli.PerDevice + 1; // cannot be sized: fits no device
        return (int)Math.Min(GpuMilli.PerDevice + 1, (GpuMemoryMiB * GpuMilli.PerDevice + deviceMemoryMiB - 1) / deviceMemoryMiB);
    }
}

/// <summary>A pod already on a node, holding what it asked for.</summary>
/// <param name="Workload">The key of its workload (or of the pod itself when it belongs to none).</param>
/// <param name="Node">Index into <see cref="ClusterSnapshot.Nodes"/>.</param>
/// <param name="SharedDevice">For a shared pod: the device index it was given.</param>
/// <param name="Order">Submission order of its workload (ticks); higher is newer.</param>
/// <param name="Releasing">Being deleted or evicted: still holds its GPUs, but the overseer counts them as coming free.</param>
public sealed record BoundPod(
    PodDemand Demand,
    string Workload,
    string? Project,
    int Node,
    int? SharedDevice = null,
    int Priority = PriorityClasses.TrainValue,
    bool Preemptible = true,
    long Order = 0,
    bool Releasing = false);

/// <summary>A workload with pods waiting to be placed: its gang and the rules it is placed by.</summary>
/// <param name="Key">The workload's key (<c>Kind/namespace/name</c>); PodGroups and outcomes are keyed by it.</param>
/// <param name="Project">The project owning its namespace; null when none does.</param>
/// <param name="MinMember">Pods that must be placed together.</param>
/// <param name="Pending">Its pods that wait, gang members first.</param>
/// <param name="NodePools">Its own pools, preferred first; empty means the project's.</param>
/// <param name="AntiAffinity">Required anti-affinity: its pods on distinct nodes.</param>
/// <param name="Order">Submission order (ticks): older first among equal priorities.</param>
public sealed record WorkloadDemand(
    string Key,
    string? Project,
    string Namespace,
    int MinMember,
    IReadOnlyList<PodDemand> Pending,
    int Priority = PriorityClasses.TrainValue,
    bool Preemptible = true,
    string? PriorityClassName = null,
    IReadOnlyList<string>? NodePools = null,
    Placement Placement = Placement.Binpack,
    bool AntiAffinity = false,
    long Order = 0);

/// <summary>Everything one scheduling cycle looks at, taken at one moment.</summary>
public sealed record ClusterSnapshot(
    IReadOnlyList<SchedulingNode> Nodes,
    IReadOnlyList<SchedulingProject> Projects,
    IReadOnlyList<BoundPod> Bound,
    IReadOnlyList<WorkloadDemand> Pending,
    SchedulingPolicy? Policy = null)
{
    public SchedulingPolicy EffectivePolicy => Policy ?? SchedulingPolicy.Default;
}

/// <summary>One pod to bind: where, and for a shared pod which device.</summary>
public sealed record PodBinding(string PodKey, string Workload, int Node, string NodeName, int? GpuIndex);

/// <summary>What a cycle decided about one workload with waiting pods.</summary>
/// <param name="Placed">True when the whole gang is on nodes (bound before or in this cycle).</param>
/// <param name="Reason">A <see cref="PendingReasons"/> code while it waits; null once placed.</param>
/// <param name="Message">The sentence with the numbers.</param>
/// <param name="QueuePosition">1-based place among the project's waiting workloads; null once placed.</param>
public sealed record WorkloadOutcome(string Workload, string? Project, bool Placed, string? Reason, string? Message, int? QueuePosition);

/// <summary>A gang the overseer evicts, and for whom.</summary>
public sealed record Preemption(
    string Victim,
    string? VictimProject,
    IReadOnlyList<string> VictimPods,
    long VictimMilli,
    string Preemptor,
    string? PreemptorProject,
    PreemptionKind Kind,
    string Message);

public enum PreemptionKind
{
    /// <summary>Another project takes back its guaranteed quota from over-quota work.</summary>
    Reclaim,
    /// <summary>Higher-priority work of the same project displaces lower-priority preemptible work.</summary>
    Priority,
}
