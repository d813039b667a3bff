using System.Globalization;

namespace Runai.Cli.Views;

/// <summary>The text layouts of SPEC §6: exact columns, space padded, no borders.</summary>
internal static class Tables
{
    public static string Jobs(IEnumerable<JobView> jobs, bool wide, DateTime now) => wide
        ? TextTable.Render(
            ["NAME", "PROJECT", "TYPE", "STATUS", "AGE", "GPUs Allocated (Requested)", "PODs Running (Pending)", "NODE"],
            jobs.Select(j => (IReadOnlyList<string>)
            [
                j.Name, j.Project, j.Type, j.Status, TextTable.Age(j.Created, now),
                $"{j.AllocatedGpus} ({j.RequestedGpus})",
                $"{Int(j.RunningPods)} ({Int(j.PendingPods)})",
                Nodes(j.Nodes),
            ]))
        : TextTable.Render(
            ["NAME", "STATUS", "GPUs", "NODE"],
            jobs.Select(j => (IReadOnlyList<string>)[j.Name, j.Status, j.RequestedGpus.ToString(), Nodes(j.Nodes)]));

    public static string Projects(IEnumerable<ProjectView> projects) => TextTable.Render(
        ["PROJECT", "GPU_QUOTA", "GPU_USED", "OVER_QUOTA"],
        projects.Select(p => (IReadOnlyList<string>)[p.Name, p.Quota.ToString(), p.Used.ToString(), p.OverQuota.ToString()]));

    public static string Nodes(IEnumerable<NodeView> nodes) => TextTable.Render(
        ["NODE", "POOL", "GPU_MODEL", "GPUs", "ALLOCATED", "READY"],
        nodes.Select(n => (IReadOnlyList<string>)[n.Name, n.Pool ?? "-", n.Model ?? "-", Int(n.Gpus), n.Allocated.ToString(), n.Ready ? "True" : "False"]));

    /// <summary>Nodes joined by <c>,</c> as the seed shows them; <c>-</c> when none.</summary>
    public static string Nodes(IReadOnlyList<string> nodes) => nodes.Count == 0 ? "-" : string.Join(",", nodes);

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
