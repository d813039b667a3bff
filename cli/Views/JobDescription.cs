using System.Globalization;
using System.Text;
using k8s.Models;
using Runai.Core.Workloads;

namespace Runai.Cli.Views;

/// <summary>One pod of a workload in <c>runai describe job</c>.</summary>
internal sealed record PodLine(string Name, string Role, string Phase, string? Node, string Gpus, int Restarts, DateTime? Created)
{
    public static PodLine Of(V1Pod pod)
    {
        var role = WorkloadIdentity.IsLauncher(pod) ? "launcher" : "worker";
        var restarts = pod.Status?.ContainerStatuses?.Sum(s => s.RestartCount) ?? 0;
        var waiting = pod.Status?.ContainerStatuses?.Select(s => s.State?.Waiting?.Reason).FirstOrDefault(r => r is not null);
        var phase = pod.Metadata.DeletionTimestamp is not null ? "Terminating" : waiting ?? pod.Status?.Phase ?? "Pending";
        var gpus = PodGpus.Of(pod);
        var text = gpus.MemoryMiB is { } mib ? $"{mib}MiB" : gpus.Gpus.ToString();
        return new PodLine(pod.Metadata.Name, role, phase, pod.Spec?.NodeName, text, restarts, pod.Metadata.CreationTimestamp);
    }
}

/// <summary>A recent Event about the workload, its pods or its pod group.</summary>
internal sealed record EventLine(DateTime? Time, string Type, string Reason, string Object, string Message, int Count);

/// <summary><c>runai describe job</c>: the job's fields, its pods and recent events.</summary>
internal sealed record JobDescription(JobView Job, IReadOnlyList<PodLine> Pods, IReadOnlyList<EventLine> Events)
{
    public const int RecentEvents = 15;

    public static JobDescription Of(JobView job, IEnumerable<V1Pod> pods, IEnumerable<Corev1Event> events, string podGroupName)
    {
        var podList = pods.OrderBy(p => p.Metadata.Name, StringComparer.Ordinal).ToList();
        var about = new HashSet<string>(podList.Select(p => p.Metadata.Name), StringComparer.Ordinal) { job.Name, podGroupName };
        var lines = events
            .Where(e => e.InvolvedObject?.Name is { } n && about.Contains(n))
            .Select(e => new EventLine(e.LastTimestamp ?? e.EventTime ?? e.FirstTimestamp ?? e.Metadata?.CreationTimestamp,
                e.Type ?? "Normal", e.Reason ?? "", $"{e.InvolvedObject.Kind?.ToLowerInvariant()}/{e.InvolvedObject.Name}", e.Message ?? "", e.Count ?? 1))
            .OrderBy(e => e.Time ?? DateTime.MinValue)
            .TakeLast(RecentEvents)
            .ToList();
        return new JobDescription(job, podList.Select(PodLine.Of).ToList(), lines);
    }

    public string Render(DateTime now)
    {
        var j = Job;
        var phases = Pods.GroupBy(p => p.Phase).ToDictionary(g => g.Key, g => g.Count());
        var text = new StringBuilder();
        void Field(string name, string value) => text.Append(CultureInfo.InvariantCulture, $"{name + ":",-17}{value}\n");
        Field("Name", j.Name);
        Field("Project", j.Project);
        Field("Namespace", j.Namespace);
        Field("Type", j.Type);
        Field("Status", j.Status);
        Field("Age", TextTable.Age(j.Created, now));
        Field("GPUs requested", $"{j.RequestedGpus} (gang {j.PodGroupGpus})");
        Field("GPUs allocated", j.AllocatedGpus.ToString());
        Field("GPU memory", $"{j.AllocatedGpuMemoryMiB.ToString(CultureInfo.InvariantCulture)} MiB");
        // The counts are the workload's (workers of a distributed job); the phases cover every pod, launcher included.
        Field("Pods", $"{j.RunningPods} running, {j.PendingPods} pending" +
            (Pods.Count == 0 ? "" : " (all pods: " + string.Join(", ", phases.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}")) + ")"));
        Field("Nodes", j.Nodes.Count == 0 ? "-" : string.Join(", ", j.Nodes));
        Field("Pending reason", j.PendingReason ?? "-");
        Field("Queue position", j.QueuePosition?.ToString(CultureInfo.InvariantCulture) ?? "-");
        text.Append("\nPods:\n");
        text.Append(Indent(Pods.Count == 0 ? "(none)\n" : TextTable.Render(["NAME", "ROLE", "STATUS", "NODE", "GPUs", "RESTARTS", "AGE"],
            Pods.Select(p => (IReadOnlyList<string>)[p.Name, p.Role, p.Phase, p.Node ?? "-", p.Gpus, p.Restarts.ToString(CultureInfo.InvariantCulture), TextTable.Age(p.Created, now)]))));
        text.Append("\nEvents:\n");
        text.Append(Indent(Events.Count == 0 ? "(none)\n" : TextTable.Render(["AGE", "TYPE", "REASON", "OBJECT", "MESSAGE"],
            Events.Select(e => (IReadOnlyList<string>)[TextTable.Age(e.Time, now) + (e.Count > 1 ? $" (x{e.Count})" : ""), e.Type, e.Reason, e.Object, e.Message]))));
        return text.ToString();
    }

    private static string Indent(string block) =>
        string.Concat(block.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "  " + l + "\n"));
}
