using System.Text;
using Runai.Core.Scheduling;

namespace Runai.Scheduling.Tests.Support;

/// <summary>A readable dump of a snapshot, for property failures.</summary>
internal static class Describe
{
    public static string Snapshot(ClusterSnapshot s)
    {
        var sb = new StringBuilder("\n");
        for (var i = 0; i < s.Nodes.Count; i++) sb.AppendLine($"node {i} {s.Nodes[i]}");
        foreach (var p in s.Projects) sb.AppendLine($"project {p.Name} quota={p.QuotaMilli} limit={p.LimitMilli} w={p.OverQuotaWeight} rank={p.Rank} pools=[{string.Join(",", p.NodePools ?? [])}]");
        foreach (var b in s.Bound) sb.AppendLine($"bound {b.Demand} wl={b.Workload} proj={b.Project} node={b.Node} dev={b.SharedDevice} prio={b.Priority} pre={b.Preemptible}");
        foreach (var w in s.Pending) sb.AppendLine($"pending {w.Key} proj={w.Project} min={w.MinMember} prio={w.Priority} pre={w.Preemptible} pools=[{string.Join(",", w.NodePools ?? [])}] {w.Placement} anti={w.AntiAffinity} pods=[{string.Join("; ", w.Pending)}]");
        return sb.ToString();
    }
}
