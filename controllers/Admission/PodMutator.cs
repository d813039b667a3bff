using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Workloads;

namespace Runai.Controllers.Admission;

/// <summary>What the webhook decided for one review: the response to send and how to count it.</summary>
internal sealed record AdmissionDecision(JsonObject Review, string Result, int Patches);

/// <summary>Counted outcomes of a review.</summary>
internal static class AdmissionResults
{
    /// <summary>A project pod, patched.</summary>
    public const string Mutated = "mutated";
    /// <summary>Allowed as it is (no project owns its namespace, or nothing to change).</summary>
    public const string Unchanged = "unchanged";
    /// <summary>The review itself was malformed; denied with a message naming the problem.</summary>
    public const string Malformed = "malformed";
    /// <summary>The project cache is not filled yet; the request fails so the webhook's failurePolicy decides.</summary>
    public const string NotReady = "not_ready";
}

/// <summary>
/// The pure part of runai-admission: reads an AdmissionReview for a pod and answers it. A pod created in a
/// project's namespace is sent to runai-scheduler (unless it names another scheduler explicitly) and labelled
/// with its project and, when it belongs to one, its workload — MPIJob pods included, which the Kubeflow
/// operator labels only with its own keys.
/// </summary>
internal static class PodMutator
{
    /// <summary>Largest review body read; a pod larger than the API server's 3 MiB limit cannot be valid.</summary>
    public const int MaxReviewBytes = 3 * 1024 * 1024 + 64 * 1024;

    /// <param name="body">The request body.</param>
    /// <param name="projectOf">The project owning a namespace, or null.</param>
    public static AdmissionDecision Review(ReadOnlySpan<byte> body, Func<string, string?> projectOf)
    {
        JsonObject? review;
        try
        {
            review = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException e)
        {
            return Deny("", $"the request body is not JSON: {e.Message}");
        }

        if (review is null)
        {
            return Deny("", "the request body is not an AdmissionReview object");
        }

        var request = review["request"] as JsonObject;
        var uid = request?["uid"] is JsonValue u && u.TryGetValue<string>(out var s) ? s : "";
        if ((string?)AsString(review["apiVersion"]) is { } apiVersion && apiVersion != "admission.k8s.io/v1")
        {
            return Deny(uid, $"AdmissionReview apiVersion \"{apiVersion}\" is not supported (admission.k8s.io/v1 is; set admissionReviewVersions: [v1])");
        }

        if (request is null)
        {
            return Deny(uid, "the AdmissionReview has no request");
        }

        if (uid.Length == 0)
        {
            return Deny(uid, "the AdmissionReview request has no uid");
        }

        var kind = AsString(request["kind"]?["kind"]);
        var operation = AsString(request["operation"]);
        if (kind != "Pod" || operation != "CREATE")
        {
            // Only pod creation is ours; anything else the configuration sends is let through untouched.
            return Allow(uid, [], AdmissionResults.Unchanged,
                $"runai-admission mutates only pod CREATE requests; {operation ?? "?"} of {kind ?? "?"} was let through unchanged");
        }

        if (request["object"] is not JsonObject podJson)
        {
            return Deny(uid, "the AdmissionReview request for a pod CREATE has no object");
        }

        V1Pod pod;
        try
        {
            pod = KubernetesJson.Deserialize<V1Pod>(podJson.ToJsonString());
        }
        catch (JsonException e)
        {
            return Deny(uid, $"request.object is not a Pod: {e.Message}");
        }

        var ns = AsString(request["namespace"]) ?? pod.Metadata?.NamespaceProperty;
        if (string.IsNullOrEmpty(ns))
        {
            return Deny(uid, "the AdmissionReview request names no namespace");
        }

        var project = projectOf(ns);
        if (project is null)
        {
            return Allow(uid, [], AdmissionResults.Unchanged, null);
        }

        var patch = new JsonArray();
        string? warning = null;
        var scheduler = pod.Spec?.SchedulerName;
        if (string.IsNullOrEmpty(scheduler) || scheduler == DefaultScheduler)
        {
            patch.Add(Op(string.IsNullOrEmpty(scheduler) ? "add" : "replace", "/spec/schedulerName", RunaiComponents.SchedulerName));
        }
        else if (scheduler != RunaiComponents.SchedulerName)
        {
            warning = $"pod asks for scheduler \"{scheduler}\": runai-scheduler will not place it and project {project}'s quota does not count it";
        }

        var labels = pod.Metadata?.Labels;
        var wanted = new List<(string Key, string Value)> { (RunaiLabels.Project, project) };
        if (WorkloadIdentity.Of(pod) is { } workload)
        {
            wanted.Add((RunaiLabels.WorkloadName, workload.Name));
            wanted.Add((RunaiLabels.WorkloadKind, workload.Kind));
        }

        if (labels is null)
        {
            var all = new JsonObject();
            foreach (var (key, value) in wanted) all[key] = value;
            patch.Add(new JsonObject { ["op"] = "add", ["path"] = "/metadata/labels", ["value"] = all });
        }
        else
        {
            foreach (var (key, value) in wanted)
            {
                if (labels.TryGetValue(key, out var have))
                {
                    if (have != value) patch.Add(Op("replace", "/metadata/labels/" + Escape(key), value));
                }
                else
                {
                    patch.Add(Op("add", "/metadata/labels/" + Escape(key), value));
                }
            }
        }

        return Allow(uid, patch, patch.Count > 0 ? AdmissionResults.Mutated : AdmissionResults.Unchanged, warning);
    }

    /// <summary>The answer while the project cache is not filled: an error, so the webhook's failurePolicy decides.</summary>
    public static AdmissionDecision NotReady(ReadOnlySpan<byte> body)
    {
        string uid = "";
        try
        {
            uid = AsString(JsonNode.Parse(body)?["request"]?["uid"]) ?? "";
        }
        catch (JsonException)
        {
        }

        return new AdmissionDecision(Response(uid, false, null, 503, "runai-admission has not read the projects yet; retry shortly"), AdmissionResults.NotReady, 0);
    }

    /// <summary>The answer to a body larger than <see cref="MaxReviewBytes"/> (its uid is not read).</summary>
    public static AdmissionDecision TooLarge() =>
        new(Response("", false, null, 413, $"malformed admission review: the body exceeds {MaxReviewBytes} bytes"), AdmissionResults.Malformed, 0);

    public const string DefaultScheduler = "default-scheduler";

    private static AdmissionDecision Deny(string uid, string message) =>
        new(Response(uid, false, null, 400, "malformed admission review: " + message), AdmissionResults.Malformed, 0);

    private static AdmissionDecision Allow(string uid, JsonArray patch, string result, string? warning)
    {
        var review = Response(uid, true, patch.Count > 0 ? patch : null, null, null);
        if (warning is not null) ((JsonObject)review["response"]!)["warnings"] = new JsonArray(warning);
        return new AdmissionDecision(review, result, patch.Count);
    }

    private static JsonObject Response(string uid, bool allowed, JsonArray? patch, int? code, string? message)
    {
        var response = new JsonObject { ["uid"] = uid, ["allowed"] = allowed };
        if (patch is not null)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch.ToJsonString()));
        }

        if (code is not null)
        {
            response["status"] = new JsonObject { ["code"] = code, ["message"] = message };
        }

        return new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response };
    }

    private static JsonObject Op(string op, string path, string value) => new() { ["op"] = op, ["path"] = path, ["value"] = value };

    /// <summary>JSON Pointer escaping (RFC 6901): <c>~</c> → <c>~0</c>, <c>/</c> → <c>~1</c>.</summary>
    private static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static string? AsString(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
