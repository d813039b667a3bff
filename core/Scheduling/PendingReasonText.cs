using System.Globalization;

namespace Runai.Core.Scheduling;

/// <summary>
/// The sentence that goes with each <see cref="PendingReasons"/> code: what blocks the workload, with the numbers an
/// operator needs to act (GPUs held, quota, limit, free, needed). One place, so the pod group, the Event and
/// <c>runai describe job</c> say the same thing.
/// </summary>
public static class PendingReasonText
{
    private static string G(long milli) => GpuMilli.Format(milli);

    private static string Pools(IReadOnlyList<string> pools) => pools.Count == 1 ? $"node pool {pools[0]}" : $"node pools {string.Join(", ", pools)}";

    public static string ProjectMissing(string ns) =>
        $"no project owns namespace {ns}: create a Project whose spec.namespace is {ns}";

    public static string OverLimit(string project, long gangMilli, long limitMilli) =>
        $"the gang needs {G(gangMilli)} GPUs but project {project}'s limit is {G(limitMilli)}: it can never be placed; ask for fewer GPUs or raise the limit";

    public static string OverPolicyMax(long gangMilli, long maxMilli) =>
        $"the gang needs {G(gangMilli)} GPUs but the policy allows at most {G(maxMilli)} per workload: it can never be placed; ask for fewer GPUs";

    public static string OverQuotaLimit(string project, long heldMilli, long limitMilli, long needMilli) =>
        $"project {project} holds {G(heldMilli)} GPUs and its limit is {G(limitMilli)}: needs {G(needMilli)}, {G(heldMilli + needMilli - limitMilli)} more than the limit allows";

    public static string OverQuotaNonPreemptible(string project, string priorityClass, long heldMilli, long quotaMilli, long needMilli) =>
        $"project {project} holds {G(heldMilli)} of its {G(quotaMilli)} quota GPUs in non-preemptible work and priority class {priorityClass} must stay within quota: needs {G(heldMilli + needMilli - quotaMilli)} more";

    public static string OverQuotaExhausted(string project, long heldMilli, long quotaMilli, long needMilli, long idleMilli) =>
        $"project {project} holds {G(heldMilli)} of its {G(quotaMilli)} quota GPUs and over-quota is exhausted: needs {G(needMilli - idleMilli)} more";

    public static string NodePoolFull(IReadOnlyList<string> pools, long freeMilli, long needMilli) =>
        $"{Pools(pools)} {(pools.Count == 1 ? "has" : "have")} {G(freeMilli)} free GPUs: the gang needs {G(needMilli)}";

    public static string AntiAffinityUnsatisfiable(int pods, int nodesWithRoom, IReadOnlyList<string> pools) =>
        string.Create(CultureInfo.InvariantCulture,
            $"the gang's {pods} pods must be on distinct nodes but only {nodesWithRoom} node{(nodesWithRoom == 1 ? "" : "s")} {(pools.Count == 0 ? "" : "in " + Pools(pools) + " ")}{(nodesWithRoom == 1 ? "has" : "have")} room for one");

    public static string InsufficientGpus(int pods, long needMilli, long freeMilli, int largestFreeOnNode) =>
        string.Create(CultureInfo.InvariantCulture,
            $"the gang needs {G(needMilli)} GPUs for {pods} pod{(pods == 1 ? "" : "s")}; {G(freeMilli)} are free, at most {largestFreeOnNode} whole on one node");

    public static string QueuedBehindHigherPriority(string project, int ahead) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{ahead} higher-priority workload{(ahead == 1 ? "" : "s")} of project {project} {(ahead == 1 ? "waits" : "wait")} ahead of it");

    public static string GangIncomplete(int existing, int minMember) =>
        string.Create(CultureInfo.InvariantCulture, $"{existing} of the gang's {minMember} pods exist: waiting for the rest before placing any");
}
