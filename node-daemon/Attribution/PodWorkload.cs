using System.Text.Json;

namespace Runai.NodeDaemon.Attribution;

/// <summary>
/// The workload a pod belongs to, read from the pod object as runai-node-exporter receives it (raw JSON). The rule
/// is the one of <c>Runai.Core.Workloads.WorkloadIdentity.Of</c>: <c>runai/workload-name</c> and
/// <c>runai/workload-kind</c> first, then an MPIJob's Kubeflow job label, then a controller owner of a workload
/// kind. Restated here because the core library brings KubernetesClient's reflection-based models, which a
/// NativeAOT daemon cannot carry.
/// </summary>
internal static class PodWorkload
{
    private static readonly (string Kind, string ApiVersion)[] Kinds =
    [
        ("RunaiJob", "run.ai/v2alpha1"),
        ("TrainingWorkload", "run.ai/v2alpha1"),
        ("InferenceWorkload", "run.ai/v2alpha1"),
        ("InteractiveWorkload", "run.ai/v2alpha1"),
        ("MPIJob", "kubeflow.org/v2beta1"),
    ];

    /// <summary>The workload's name; "" for a pod of no workload.</summary>
    public static string Of(JsonElement pod)
    {
        if (!pod.TryGetProperty("metadata", out var meta)) return "";
        var labels = meta.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Object ? l : default;
        var owners = meta.TryGetProperty("ownerReferences", out var o) && o.ValueKind == JsonValueKind.Array ? o : default;

        if (labels.ValueKind == JsonValueKind.Object)
        {
            var name = Label(labels, "runai/workload-name");
            var kind = Label(labels, "runai/workload-kind");
            if (name.Length > 0 && Kinds.Any(k => k.Kind == kind)) return name;
            var job = Label(labels, "training.kubeflow.org/job-name");
            if (job.Length > 0 && (OwnedBy(owners, "MPIJob") || Label(labels, "training.kubeflow.org/operator-name") == "mpi-operator")) return job;
        }

        if (owners.ValueKind == JsonValueKind.Array)
        {
            foreach (var owner in owners.EnumerateArray())
            {
                if (!owner.TryGetProperty("controller", out var c) || c.ValueKind != JsonValueKind.True) continue;
                var kind = Text(owner, "kind");
                var apiVersion = Text(owner, "apiVersion");
                if (Kinds.Any(k => k.Kind == kind && k.ApiVersion == apiVersion)) return Text(owner, "name");
            }
        }
        return "";
    }

    private static bool OwnedBy(JsonElement owners, string kind) =>
        owners.ValueKind == JsonValueKind.Array && owners.EnumerateArray().Any(o => Text(o, "kind") == kind);

    private static string Label(JsonElement labels, string key) =>
        labels.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";

    private static string Text(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
}
