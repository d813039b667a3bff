using System.Globalization;

namespace Runai.Core.Scheduling;

/// <summary>
/// The scheduling policy both runai-scheduler and workload-overseer follow, read from the ConfigMap
/// <see cref="ConfigMapName"/> in namespace <c>runai</c> (the policy-service over NATS replaces it later):
/// <list type="bullet">
/// <item><c>preemptible-priority-classes</c>: comma-separated classes whose workloads may go over quota and be preempted;</item>
/// <item><c>non-preemptible-priority-classes</c>: comma-separated classes kept within quota and never preempted;</item>
/// <item><c>max-gpus-per-workload</c>: GPUs one workload's gang may ask for (e.g. <c>16</c>); absent means no cap;</item>
/// <item><c>default-priority-class</c>: the class of workloads that name none (default <c>train</c>).</item>
/// </list>
/// Classes named in neither list are preemptible below priority 100 (SPEC §5).
/// </summary>
public sealed record SchedulingPolicy
{
    public const string ConfigMapName = "runai-scheduling-policy";
    public const string PreemptibleKey = "preemptible-priority-classes";
    public const string NonPreemptibleKey = "non-preemptible-priority-classes";
    public const string MaxGpusKey = "max-gpus-per-workload";
    public const string DefaultPriorityClassKey = "default-priority-class";

    public static readonly SchedulingPolicy Default = new();

    public IReadOnlySet<string> PreemptibleClasses { get; init; } = new HashSet<string>(StringComparer.Ordinal);
    public IReadOnlySet<string> NonPreemptibleClasses { get; init; } = new HashSet<string>(StringComparer.Ordinal);
    public long? MaxGpusPerWorkloadMilli { get; init; }
    public string DefaultPriorityClass { get; init; } = PriorityClasses.Train;

    /// <summary>The priority value of a class: Run:ai's own, else what the pod carries, else the default class's.</summary>
    public int PriorityOf(string? className, int? podPriority)
    {
        if (PriorityClasses.Find(className) is { } known) return known.Value;
        if (podPriority is int p) return p;
        return PriorityClasses.Find(DefaultPriorityClass)?.Value ?? PriorityClasses.TrainValue;
    }

    public bool IsPreemptible(string? className, int priority)
    {
        var name = string.IsNullOrEmpty(className) ? DefaultPriorityClass : className;
        if (NonPreemptibleClasses.Contains(name)) return false;
        if (PreemptibleClasses.Contains(name)) return true;
        return PriorityClasses.IsPreemptible(priority);
    }

    /// <summary>
    /// Reads the ConfigMap's data. A bad value is named in <paramref name="problems"/> and its default kept, so one typo
    /// does not stop scheduling.
    /// </summary>
    public static SchedulingPolicy Parse(IDictionary<string, string>? data, out IReadOnlyList<string> problems)
    {
        var found = new List<string>();
        problems = found;
        if (data is null) return Default;
        var policy = Default;
        if (data.TryGetValue(PreemptibleKey, out var pre)) policy = policy with { PreemptibleClasses = Names(pre) };
        if (data.TryGetValue(NonPreemptibleKey, out var non)) policy = policy with { NonPreemptibleClasses = Names(non) };
        var both = policy.PreemptibleClasses.Intersect(policy.NonPreemptibleClasses).Order(StringComparer.Ordinal).ToList();
        if (both.Count > 0)
        {
            found.Add($"{string.Join(", ", both)} listed as both preemptible and non-preemptible; treated as non-preemptible");
        }

        if (data.TryGetValue(MaxGpusKey, out var max) && !string.IsNullOrWhiteSpace(max))
        {
            if (GpuQuantity.TryParse(max, out var q, out var error) && !q.IsZero)
                policy = policy with { MaxGpusPerWorkloadMilli = GpuMilli.Of(q) };
            else
                found.Add($"{MaxGpusKey}=\"{max}\" is not a positive GPU amount{(error is null ? "" : ": " + error)}; no cap applied");
        }

        if (data.TryGetValue(DefaultPriorityClassKey, out var def))
        {
            var name = def.Trim();
            if (name.Length == 0) found.Add($"{DefaultPriorityClassKey} is empty; {PriorityClasses.Train} kept");
            else policy = policy with { DefaultPriorityClass = name };
        }

        foreach (var key in data.Keys.Where(k => k is not (PreemptibleKey or NonPreemptibleKey or MaxGpusKey or DefaultPriorityClassKey)).Order(StringComparer.Ordinal))
        {
            found.Add($"unknown key \"{key}\" ignored");
        }

        return policy;
    }

    private static HashSet<string> Names(string text) =>
        new(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"preemptible=[{string.Join(",", PreemptibleClasses.Order(StringComparer.Ordinal))}] non-preemptible=[{string.Join(",", NonPreemptibleClasses.Order(StringComparer.Ordinal))}] max-gpus={(MaxGpusPerWorkloadMilli is long m ? GpuMilli.Format(m) : "none")} default={DefaultPriorityClass}");
}
