namespace Runai.Core;

/// <summary>
/// Why a workload waits (SPEC §5). A pending workload carries exactly one: the first in <see cref="All"/>
/// that applies, so the order here is part of the contract.
/// </summary>
public static class PendingReasons
{
    /// <summary>No Project owns the workload's namespace.</summary>
    public const string ProjectMissing = "ProjectMissing";
    /// <summary>The gang alone exceeds the project's limit: waiting will not help.</summary>
    public const string OverLimit = "OverLimit";
    /// <summary>Beyond quota and no idle GPUs may be borrowed (or the priority class must stay within quota).</summary>
    public const string OverQuota = "OverQuota";
    /// <summary>The workload's node pools have no room.</summary>
    public const string NodePoolFull = "NodePoolFull";
    /// <summary>Required anti-affinity cannot put the pods on enough distinct nodes.</summary>
    public const string AntiAffinityUnsatisfiable = "AntiAffinityUnsatisfiable";
    /// <summary>Not enough free GPUs on fitting nodes.</summary>
    public const string InsufficientGpus = "InsufficientGpus";
    /// <summary>Higher-priority work in the queue goes first.</summary>
    public const string QueuedBehindHigherPriority = "QueuedBehindHigherPriority";
    /// <summary>Not all gang members exist yet.</summary>
    public const string GangIncomplete = "GangIncomplete";

    /// <summary>The eight codes in the order they are checked.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        ProjectMissing, OverLimit, OverQuota, NodePoolFull,
        AntiAffinityUnsatisfiable, InsufficientGpus, QueuedBehindHigherPriority, GangIncomplete,
    ];

    /// <summary>Position of a code in the checking order (0 first), or -1 for an unknown code.</summary>
    public static int Rank(string code) => All.ToList().IndexOf(code);
}
