using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Runai.Core;

namespace Runai.Exporter.Tests.Support;

/// <summary>
/// What the series must say, computed straight from the API objects with SPEC §3/§4's definitions: annotations when
/// readable, else pods and spec; runtime from status.startTime to completion (or to now while running); queue time
/// from creation to the Scheduled condition (or the start), growing while it waits.
/// </summary>
internal sealed class GroundTruth
{
    private const double ClockSlack = 3;

    public sealed record Workload(string Kind, string Namespace, string Name, string Project, string? Status, double Allocated, double MemoryBytes,
        double Requested, double Preemptions, int[] Pods, string User, (double Seconds, DateTimeOffset? Since) Runtime, (double Seconds, DateTimeOffset? Since) Queue);

    public List<Workload> Workloads { get; } = [];
    public Dictionary<string, double> NodeAllocated { get; } = [];
    public Dictionary<string, (double Quota, double? Limit, double Allocated, int Pending)> Projects { get; } = [];

    public static async Task<GroundTruth> ReadAsync(IKubernetes api, IReadOnlyList<string> namespaces, IReadOnlyList<string> nodes)
    {
        var truth = new GroundTruth();
        var projects = new Dictionary<string, (string Name, JsonNode Spec)>();
        var projectList = (await api.CustomObjects.ListClusterCustomObjectAsync<JsonNode>("run.ai", "v2alpha1", "projects"))!;
        foreach (var p in projectList["items"]!.AsArray())
        {
            var ns = (string?)p!["spec"]!["namespace"];
            if (ns is not null && namespaces.Contains(ns)) projects[ns] = ((string)p["metadata"]!["name"]!, p["spec"]!);
        }

        var pods = new List<V1Pod>();
        foreach (var ns in namespaces) pods.AddRange((await api.CoreV1.ListNamespacedPodAsync(ns)).Items);
        static bool Holds(V1Pod p) => !string.IsNullOrEmpty(p.Spec.NodeName) && p.Status?.Phase is not ("Succeeded" or "Failed");
        static double GpusOf(V1Pod p) => double.Parse(p.Spec.Containers[0].Resources.Limits["nvidia.com/gpu"].ToString(), CultureInfo.InvariantCulture);
        foreach (var node in nodes) truth.NodeAllocated[node] = pods.Where(p => p.Spec.NodeName == node && Holds(p)).Sum(GpusOf);

        foreach (var ns in namespaces)
        {
            foreach (var kind in new[] { ("TrainingWorkload", "trainingworkloads"), ("RunaiJob", "runaijobs") })
            {
                var list = (await api.CustomObjects.ListNamespacedCustomObjectAsync<JsonNode>("run.ai", "v2alpha1", ns, kind.Item2))!;
                foreach (var w in list["items"]!.AsArray())
                {
                    truth.Workloads.Add(Read(kind.Item1, ns, w!, projects.TryGetValue(ns, out var pr) ? pr.Name : "",
                        pods.Where(p => Label(p, RunaiLabels.WorkloadName) == (string)w!["metadata"]!["name"]!
                            && Label(p, RunaiLabels.WorkloadKind) == kind.Item1).ToList(), Holds, GpusOf));
                }
            }
        }

        foreach (var (ns, (name, spec)) in projects)
        {
            var mine = truth.Workloads.Where(w => w.Namespace == ns).ToList();
            truth.Projects[name] = ((double)spec["gpus"]!["quota"]!, spec["gpus"]!["limit"] is { } l ? (double)l : null,
                mine.Sum(w => w.Allocated), mine.Count(w => w.Status == "Pending"));
        }

        return truth;
    }

    private static Workload Read(string kind, string ns, JsonNode w, string project, List<V1Pod> pods, Func<V1Pod, bool> holds, Func<V1Pod, double> gpusOf)
    {
        var meta = w["metadata"]!;
        var annotations = meta["annotations"]?.AsObject().ToDictionary(a => a.Key, a => (string?)a.Value) ?? [];
        var status = w["status"];
        string? Annotation(string name) => annotations.GetValueOrDefault(name);
        double? Gpus(string name) => GpuQuantity.TryParse(Annotation(name), out var q) ? q.ToDouble() : null;
        long? Count(string name) => long.TryParse(Annotation(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        DateTimeOffset? Time(JsonNode? node) => node is null ? null : DateTimeOffset.Parse((string)node!, CultureInfo.InvariantCulture);
        DateTimeOffset? Condition(string type, string state) =>
            status?["conditions"]?.AsArray().FirstOrDefault(c => (string?)c!["type"] == type && (string?)c["status"] == state) is { } c ? Time(c["lastTransitionTime"]) : null;

        var calculated = Annotation(RunaiAnnotations.CalculatedStatus);
        var phase = (string?)status?["phase"];
        var state = WorkloadStatus.IsKnown(calculated) ? calculated : WorkloadStatus.IsKnown(phase) ? phase : null;
        var gpus = (double)w["spec"]!["gpus"]!;
        var workers = kind == "TrainingWorkload" ? (int)w["spec"]!["workers"]! : 1;
        var created = Time(meta["creationTimestamp"])!.Value;
        var started = Time(status?["startTime"]);
        var completed = Time(status?["completionTime"]);
        (double, DateTimeOffset?) runtime = started is not { } s ? (0, null)
            : completed is { } c ? ((c - s).TotalSeconds, null)
            : state is "Running" or "Degraded" ? (0, s)
            : (Math.Max(0, ((Condition("Running", "False") ?? s) - s).TotalSeconds), null);
        var placed = Condition("Scheduled", "True") ?? started;
        (double, DateTimeOffset?) queue = placed is { } at ? ((at - created).TotalSeconds, null)
            : state is "Completed" or "Failed" or "Stopped" or "Deleting" ? (((completed ?? created) - created).TotalSeconds, null)
            : (0, created);
        var preemptions = Count(RunaiExtraAnnotations.Preemptions);
        return new Workload(kind, ns, (string)meta["name"]!, project, state,
            Gpus(RunaiAnnotations.CurrentAllocatedGpus) ?? pods.Where(holds).Sum(gpusOf),
            (Count(RunaiAnnotations.CurrentAllocatedGpusMemory) ?? (long)pods.Where(holds).Sum(p => gpusOf(p) * 81559)) * 1048576.0,
            Gpus(RunaiAnnotations.TotalRequestedGpus) ?? gpus * workers,
            preemptions is { } n && n <= int.MaxValue ? n : 0,
            [pods.Count(p => p.Status?.Phase is null or "Pending"), pods.Count(p => p.Status?.Phase == "Running"),
             pods.Count(p => p.Status?.Phase == "Succeeded"), pods.Count(p => p.Status?.Phase == "Failed")],
            (string?)meta["labels"]?["user"] ?? "", runtime, queue);
    }

    /// <summary>Every disagreement between the exposition and the objects, in words; empty when they agree.</summary>
    public List<string> Compare(Exposition e, DateTimeOffset now)
    {
        var problems = new List<string>();
        var namespaces = Workloads.Select(w => w.Namespace).Concat(Projects.Keys).ToHashSet();
        var served = e.Of("runai_workload_info").Where(s => Workloads.Any(w => w.Namespace == s.Label("namespace")) || namespaces.Contains(s.Label("namespace")))
            .Select(s => (s.Label("type"), s.Label("namespace"), s.Label("workload"))).ToHashSet();
        var expected = Workloads.Select(w => (w.Kind, w.Namespace, w.Name)).ToHashSet();
        foreach (var extra in served.Except(expected)) problems.Add($"{extra} is served but does not exist");
        foreach (var missing in expected.Except(served)) problems.Add($"{missing} exists but is not served");

        void Check(string what, double? actual, double wanted, double slack = 1e-9)
        {
            if (actual is null) problems.Add($"{what}: missing, want {wanted}");
            else if (Math.Abs(actual.Value - wanted) > slack) problems.Add($"{what}: {actual} != {wanted}");
        }

        string[] phases = ["pending", "running", "succeeded", "failed"];
        foreach (var w in Workloads.Where(w => served.Contains((w.Kind, w.Namespace, w.Name))))
        {
            (string, string)[] id = [("workload", w.Name), ("namespace", w.Namespace), ("type", w.Kind), ("project", w.Project)];
            var who = $"{w.Kind} {w.Namespace}/{w.Name}";
            foreach (var status in WorkloadStatus.AllMetricValues)
                Check($"{who} status {status}", e.Find("runai_workload_status", [.. id, ("status", status)])?.Value, status == w.Status?.ToLowerInvariant() ? 1 : 0);
            Check($"{who} allocation", e.Find("runai_workload_gpu_allocation", id)?.Value, w.Allocated);
            Check($"{who} memory", e.Find("runai_workload_allocated_gpu_memory_bytes", id)?.Value, w.MemoryBytes);
            Check($"{who} requested", e.Find("runai_workload_requested_gpus", id)?.Value, w.Requested);
            Check($"{who} preemptions", e.Find("runai_workload_preemptions", id)?.Value, w.Preemptions);
            for (var i = 0; i < phases.Length; i++)
                Check($"{who} pods {phases[i]}", e.Find("runai_workload_pods", [.. id, ("phase", phases[i])])?.Value, w.Pods[i]);
            Check($"{who} runtime", e.Find("runai_workload_runtime_seconds", id)?.Value, Value(w.Runtime, now), w.Runtime.Since is null ? 1e-6 : ClockSlack);
            Check($"{who} queue time", e.Find("runai_workload_queue_time", id)?.Value, Value(w.Queue, now), w.Queue.Since is null ? 1e-6 : ClockSlack);
            if (e.Find("runai_workload_info", id)?.Label("user") != w.User) problems.Add($"{who} user label");
        }

        foreach (var (node, allocated) in NodeAllocated)
        {
            Check($"node {node} allocated", e.Find("runai_node_allocated_gpus", ("node", node))?.Value, allocated);
            Check($"node {node} gpus", e.Find("runai_node_gpus", ("node", node))?.Value, 8);
        }

        foreach (var (project, p) in Projects)
        {
            Check($"project {project} quota", e.Find("runai_project_gpu_quota", ("project", project))?.Value, p.Quota);
            if (p.Limit is { } limit) Check($"project {project} limit", e.Find("runai_project_gpu_limit", ("project", project))?.Value, limit);
            else if (e.Find("runai_project_gpu_limit", ("project", project)) is not null) problems.Add($"project {project} has no limit but one is served");
            Check($"project {project} allocated", e.Find("runai_project_allocated_gpus", ("project", project))?.Value, p.Allocated);
            Check($"project {project} over quota", e.Find("runai_project_over_quota_gpus", ("project", project))?.Value, Math.Max(0, p.Allocated - p.Quota));
            Check($"project {project} pending", e.Find("runai_project_pending_workloads", ("project", project))?.Value, p.Pending);
        }

        return problems;
    }

    private static string? Label(V1Pod pod, string name) => pod.Metadata.Labels is { } l && l.TryGetValue(name, out var v) ? v : null;

    private static double Value((double Seconds, DateTimeOffset? Since) d, DateTimeOffset now) =>
        d.Since is { } since ? d.Seconds + (now - since).TotalSeconds : d.Seconds;
}
