using System.Globalization;
using k8s.Models;
using Runai.Sim.Operators.Internal;

namespace Runai.Sim.Operators;

/// <summary>Where a pod goes: a node, or why no node fits (kube-scheduler's FailedScheduling wording).</summary>
internal sealed record PlacementResult(string? NodeName, string? Message)
{
    public bool Placed => NodeName is not null;
}

/// <summary>
/// The default scheduler's filter and score steps as a pure function, in kube-scheduler's filter order
/// (each node is rejected by the first filter it fails): NodeUnschedulable, TaintToleration (a NotReady node
/// carries the <c>node.kubernetes.io/not-ready</c> taint), NodeAffinity (nodeSelector and required node
/// affinity), NodeResourcesFit (cpu, memory, pods, nvidia.com/gpu and any other requested resource),
/// InterPodAffinity (required anti-affinity, both ways); then the node with the most room left
/// (LeastAllocated over cpu, memory and the GPUs the pod asks for), ties broken by name.
/// Not modelled: preferred (soft) terms, required pod affinity, topology spread, volumes, ports, preemption.
/// </summary>
internal static class Placement
{
    public const string NotReadyTaint = "node.kubernetes.io/not-ready";
    private const string UnschedulableTaint = "node.kubernetes.io/unschedulable";

    /// <param name="pod">The pod to place.</param>
    /// <param name="nodes">Every node of the cluster.</param>
    /// <param name="placedPods">Pods bound (or assumed bound) to nodes that still hold resources.</param>
    public static PlacementResult Place(V1Pod pod, IReadOnlyList<V1Node> nodes, IReadOnlyList<V1Pod> placedPods)
    {
        if (nodes.Count == 0) return new PlacementResult(null, "no nodes available to schedule pods");
        var active = placedPods.Where(p => !string.IsNullOrEmpty(p.Spec?.NodeName) && !LifecycleDone(p)).ToList();
        var byNode = active.GroupBy(p => p.Spec.NodeName).ToDictionary(g => g.Key, g => g.ToList());
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        var fits = new List<(V1Node Node, double Score)>();
        foreach (var node in nodes)
        {
            var onNode = byNode.GetValueOrDefault(node.Name()) ?? [];
            var failed = Filter(pod, node, onNode, active, nodes);
            if (failed.Count == 0)
            {
                fits.Add((node, Score(pod, node, onNode)));
                continue;
            }
            foreach (var reason in failed) reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
        }
        if (fits.Count > 0)
        {
            var best = fits.OrderByDescending(f => f.Score).ThenBy(f => f.Node.Name(), StringComparer.Ordinal).First();
            return new PlacementResult(best.Node.Name(), null);
        }
        var parts = reasons.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Value} {r.Key}");
        return new PlacementResult(null, $"0/{nodes.Count} nodes are available: {string.Join(", ", parts)}.");
    }

    /// <summary>The reasons a node cannot take the pod (empty when it can).</summary>
    internal static IReadOnlyList<string> Filter(V1Pod pod, V1Node node, IReadOnlyList<V1Pod> onNode, IReadOnlyList<V1Pod> allPlaced, IReadOnlyList<V1Node> nodes)
    {
        if (node.Spec?.Unschedulable == true && !Tolerates(pod, new V1Taint { Key = UnschedulableTaint, Effect = "NoSchedule" }))
        {
            return ["node(s) were unschedulable"];
        }
        var untolerated = Taints(node).FirstOrDefault(t => t.Effect is "NoSchedule" or "NoExecute" && !Tolerates(pod, t));
        if (untolerated is not null)
        {
            return [$"node(s) had untolerated taint {{{untolerated.Key}: {untolerated.Value}}}"];
        }
        if (!MatchesNodeSelector(pod, node)) return ["node(s) didn't match Pod's node affinity/selector"];
        var insufficient = Insufficient(pod, node, onNode);
        if (insufficient.Count > 0) return insufficient;
        if (!AntiAffinityAllows(pod, node, allPlaced, nodes)) return ["node(s) didn't match pod anti-affinity rules"];
        if (!ExistingAntiAffinityAllows(pod, node, allPlaced, nodes)) return ["node(s) didn't satisfy existing pods anti-affinity rules"];
        return [];
    }

    private static bool LifecycleDone(V1Pod pod) => pod.Status?.Phase is "Succeeded" or "Failed";

    private static IEnumerable<V1Taint> Taints(V1Node node)
    {
        foreach (var taint in node.Spec?.Taints ?? []) yield return taint;
        var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        if (ready?.Status != "True" && node.Spec?.Taints?.Any(t => t.Key == NotReadyTaint) != true)
        {
            yield return new V1Taint { Key = NotReadyTaint, Effect = "NoSchedule" };
        }
    }

    internal static bool Tolerates(V1Pod pod, V1Taint taint) => (pod.Spec?.Tolerations ?? []).Any(t =>
        (string.IsNullOrEmpty(t.Effect) || t.Effect == taint.Effect) &&
        (t.OperatorProperty == "Exists"
            ? string.IsNullOrEmpty(t.Key) || t.Key == taint.Key
            : t.Key == taint.Key && (t.Value ?? "") == (taint.Value ?? "")));

    internal static bool MatchesNodeSelector(V1Pod pod, V1Node node)
    {
        var labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        foreach (var (key, value) in pod.Spec?.NodeSelector ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
        }
        var terms = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        if (terms is null || terms.Count == 0) return true;
        // Terms are ORed; within a term every expression must hold. An empty term matches nothing.
        return terms.Any(term =>
            ((term.MatchExpressions?.Count ?? 0) + (term.MatchFields?.Count ?? 0)) > 0 &&
            (term.MatchExpressions ?? []).All(e => Matches(e.Key, e.OperatorProperty, e.Values, labels)) &&
            (term.MatchFields ?? []).All(e => e.Key == "metadata.name" && Matches(e.Key, e.OperatorProperty, e.Values, new Dictionary<string, string> { ["metadata.name"] = node.Name() })));
    }

    private static bool Matches(string key, string op, IList<string>? values, IDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(key, out var actual);
        values ??= [];
        return op switch
        {
            "In" => has && values.Contains(actual!),
            "NotIn" => !has || !values.Contains(actual!),
            "Exists" => has,
            "DoesNotExist" => !has,
            "Gt" => has && long.TryParse(actual, NumberStyles.Integer, CultureInfo.InvariantCulture, out var a) && values.Count == 1 && long.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var b) && a > b,
            "Lt" => has && long.TryParse(actual, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) && values.Count == 1 && long.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var d) && c < d,
            _ => throw new ArgumentException($"unknown node selector operator \"{op}\" for key {key}"),
        };
    }

    /// <summary>Resources the pod asks for that the node's allocatable, less what its pods ask for, cannot cover.</summary>
    internal static IReadOnlyList<string> Insufficient(V1Pod pod, V1Node node, IReadOnlyList<V1Pod> onNode)
    {
        var result = new List<string>();
        if (onNode.Count + 1 > Quantities.Allocatable(node, "pods")) result.Add("Too many pods");
        foreach (var resource in RequestedResources(pod))
        {
            var wanted = Quantities.Requested(pod, resource);
            if (wanted <= 0) continue;
            var used = onNode.Sum(p => Quantities.Requested(p, resource));
            if (used + wanted > Quantities.Allocatable(node, resource)) result.Add($"Insufficient {resource}");
        }
        return result;
    }

    private static IEnumerable<string> RequestedResources(V1Pod pod) =>
        (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? [])
            .SelectMany(c => (c.Resources?.Requests?.Keys ?? []).Concat(c.Resources?.Limits?.Keys ?? []))
            .Where(r => r is not ("ephemeral-storage"))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(r => r, StringComparer.Ordinal);

    private static bool AntiAffinityAllows(V1Pod pod, V1Node node, IReadOnlyList<V1Pod> placed, IReadOnlyList<V1Node> nodes)
    {
        var terms = pod.Spec?.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? [];
        return terms.All(term => !placed.Any(other =>
            other.Metadata?.Uid != pod.Metadata?.Uid &&
            SameDomain(node, other.Spec?.NodeName ?? "", term.TopologyKey, nodes) &&
            TermSelects(term, pod.Namespace(), other)));
    }

    private static bool ExistingAntiAffinityAllows(V1Pod pod, V1Node node, IReadOnlyList<V1Pod> placed, IReadOnlyList<V1Node> nodes) =>
        !placed.Any(other =>
            other.Metadata?.Uid != pod.Metadata?.Uid &&
            (other.Spec?.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? []).Any(term =>
                SameDomain(node, other.Spec?.NodeName ?? "", term.TopologyKey, nodes) && TermSelects(term, other.Namespace(), pod)));

    private static bool SameDomain(V1Node node, string otherNodeName, string topologyKey, IReadOnlyList<V1Node> nodes)
    {
        if (node.Metadata?.Labels?.TryGetValue(topologyKey, out var value) != true) return false;
        var other = nodes.FirstOrDefault(n => n.Name() == otherNodeName);
        return other?.Metadata?.Labels?.TryGetValue(topologyKey, out var otherValue) == true && otherValue == value;
    }

    private static bool TermSelects(V1PodAffinityTerm term, string ownerNamespace, V1Pod candidate)
    {
        var namespaces = term.Namespaces is { Count: > 0 } listed ? listed : [ownerNamespace];
        if (term.NamespaceSelector is null && !namespaces.Contains(candidate.Namespace())) return false;
        return LabelSelectorMatches(term.LabelSelector, candidate.Metadata?.Labels ?? new Dictionary<string, string>());
    }

    /// <summary>A label selector as the API defines it: null selects nothing, empty selects everything.</summary>
    internal static bool LabelSelectorMatches(V1LabelSelector? selector, IDictionary<string, string> labels)
    {
        if (selector is null) return false;
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
        }
        return (selector.MatchExpressions ?? []).All(e => e.OperatorProperty is "In" or "NotIn" or "Exists" or "DoesNotExist"
            ? Matches(e.Key, e.OperatorProperty, e.Values, labels)
            : throw new ArgumentException($"unknown label selector operator \"{e.OperatorProperty}\" for key {e.Key}"));
    }

    /// <summary>LeastAllocated: the mean share of cpu, memory (and GPUs when asked for) left free after placing the pod.</summary>
    private static double Score(V1Pod pod, V1Node node, IReadOnlyList<V1Pod> onNode)
    {
        var resources = new List<string> { "cpu", "memory" };
        if (Quantities.Requested(pod, "nvidia.com/gpu") > 0) resources.Add("nvidia.com/gpu");
        var shares = resources.Select(r =>
        {
            var allocatable = Quantities.Allocatable(node, r);
            if (allocatable <= 0) return 0.0;
            var used = onNode.Sum(p => Quantities.Requested(p, r)) + Quantities.Requested(pod, r);
            return (double)Math.Max(0, (allocatable - used) / allocatable);
        });
        return shares.Average();
    }
}
