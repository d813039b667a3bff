using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Runai.Sim.Api;
using Runai.Sim.Api.Storage;
using static Runai.Sim.Cluster.WorkloadObjects;

namespace Runai.Sim.Cluster;

/// <summary>
/// The Job controller of kube-controller-manager, for the cases this product makes (a RunaiJob's batch Job): keeps up to
/// <c>spec.parallelism</c> pods running until <c>spec.completions</c> have succeeded (both 1 when unset), counts failed
/// pods against <c>spec.backoffLimit</c> (6 when unset), stops its pods while <c>spec.suspend</c> is true, and reports
/// active/ready/succeeded/failed, start and completion times and the Complete, Failed and Suspended conditions. Pods
/// get the <c>job-name</c>, <c>batch.kubernetes.io/job-name</c> and <c>controller-uid</c> labels. Not modelled: indexed
/// completions, pod failure policies, active deadlines, TTL after finishing.
/// </summary>
internal sealed class JobController : IAsyncDisposable
{
    public const string Resource = "jobs.batch";
    private static readonly Api.Rbac.UserInfo Identity = ControllerIdentity("job-controller");

    private readonly ApiOperations _ops;
    private readonly OwnerLoop _loop;

    public JobController(ApiOperations ops, ILogger<JobController> log)
    {
        _ops = ops;
        _loop = new OwnerLoop(ops, "Job", Resource, "pods", ReconcileAsync, log);
    }

    private async Task ReconcileAsync(string ns, string name, StoredObject stored, CancellationToken ct)
    {
        var job = stored.ToJsonObject();
        var spec = job["spec"] as JsonObject ?? [];
        var completions = (int?)spec["completions"] ?? 1;
        var parallelism = (int?)spec["parallelism"] ?? 1;
        var backoffLimit = (int?)spec["backoffLimit"] ?? 6;
        var suspended = (bool?)spec["suspend"] ?? false;
        var podDef = Def(_ops, "pods");
        var pods = OwnedPods(_ops, ns, stored.Uid);
        var succeeded = pods.Count(p => (string?)p["status"]?["phase"] == "Succeeded");
        var failed = pods.Count(p => (string?)p["status"]?["phase"] == "Failed");
        var active = pods.Where(p => !IsTerminating(p) && !IsTerminal(p)).ToList();
        var finished = Condition(job, "Complete") ?? Condition(job, "Failed");
        string? ending = finished is null && succeeded >= completions ? "Complete" : finished is null && failed > backoffLimit ? "Failed" : null;

        if (!IsTerminating(job) && finished is null)
        {
            if (suspended || ending is not null)
            {
                foreach (var pod in active) await DeletePodAsync(_ops, Identity, ns, Name(pod), ct);
                active.Clear();
            }
            else
            {
                var wanted = Math.Min(parallelism, completions - succeeded) - active.Count;
                var template = spec["template"] as JsonObject ?? [];
                for (var i = 0; i < wanted; i++)
                {
                    await _ops.CreateAsync(Identity, podDef, ns, NewPod(job, template), new WriteOptions { FieldManager = "job-controller" }, ct);
                }
            }
        }

        var now = KubeTime.Now(_ops.Time);
        var current = OwnedPods(_ops, ns, stored.Uid).Where(p => !IsTerminating(p) && !IsTerminal(p)).ToList();
        _ops.Mutate(Def(_ops, Resource), ns, name, o =>
        {
            var old = o["status"] as JsonObject ?? [];
            var status = new JsonObject
            {
                ["active"] = current.Count,
                ["ready"] = current.Count(IsReady),
                ["succeeded"] = succeeded,
                ["failed"] = failed,
            };
            if (old["startTime"] is { } start) status["startTime"] = start.DeepClone();
            else if (!suspended) status["startTime"] = now;
            // A finishing condition stays for good, Suspended while the job is; each keeps the times it was set with.
            var conditions = new JsonArray();
            foreach (var c in old["conditions"] as JsonArray ?? [])
            {
                if ((string?)c?["type"] is "Complete" or "Failed" || ((string?)c?["type"] == "Suspended" && suspended)) conditions.Add(c!.DeepClone());
            }

            if (old["completionTime"] is { } done) status["completionTime"] = done.DeepClone();
            if (ending is not null && !conditions.Any(c => (string?)c?["type"] is "Complete" or "Failed"))
            {
                conditions.Add(new JsonObject
                {
                    ["type"] = ending, ["status"] = "True", ["lastProbeTime"] = now, ["lastTransitionTime"] = now,
                    ["reason"] = ending == "Complete" ? "Completed" : "BackoffLimitExceeded",
                    ["message"] = ending == "Complete" ? "Reached expected number of succeeded pods" : "Job has reached the specified backoff limit",
                });
                if (ending == "Complete") status["completionTime"] = now;
            }

            if (suspended && conditions.Count == 0)
            {
                conditions.Add(new JsonObject
                {
                    ["type"] = "Suspended", ["status"] = "True", ["lastProbeTime"] = now, ["lastTransitionTime"] = now,
                    ["reason"] = "JobSuspended", ["message"] = "Job suspended",
                });
            }

            if (conditions.Count > 0) status["conditions"] = conditions;
            return JsonNode.DeepEquals(status, old) ? null : WithStatus(o, status);
        });
    }

    private static JsonNode? Condition(JsonObject job, string type) =>
        (job["status"]?["conditions"] as JsonArray ?? []).FirstOrDefault(c => (string?)c?["type"] == type && (string?)c?["status"] == "True");

    private static JsonObject NewPod(JsonObject job, JsonObject template)
    {
        var meta = template["metadata"]?.DeepClone() as JsonObject ?? [];
        meta.Remove("name");
        meta["generateName"] = Name(job) + "-";
        var labels = meta["labels"] as JsonObject ?? [];
        labels["job-name"] = Name(job);
        labels["batch.kubernetes.io/job-name"] = Name(job);
        labels["controller-uid"] = Uid(job);
        labels["batch.kubernetes.io/controller-uid"] = Uid(job);
        meta["labels"] = labels;
        meta["ownerReferences"] = new JsonArray(ControllerRef("batch/v1", "Job", job));
        var spec = template["spec"]?.DeepClone() as JsonObject ?? [];
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = meta, ["spec"] = spec };
    }

    public ValueTask DisposeAsync() => _loop.DisposeAsync();
}
