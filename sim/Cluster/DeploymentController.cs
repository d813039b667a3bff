using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Runai.Sim.Api;
using Runai.Sim.Api.Storage;
using static Runai.Sim.Cluster.WorkloadObjects;

namespace Runai.Sim.Cluster;

/// <summary>
/// The Deployment controller of kube-controller-manager: one ReplicaSet per pod template (named
/// <c>DEPLOYMENT-HASH</c>, label <c>pod-template-hash</c>, annotation <c>deployment.kubernetes.io/revision</c>),
/// RollingUpdate within maxSurge/maxUnavailable or Recreate (<see cref="RolloutPlan"/>), old ReplicaSets kept up to
/// revisionHistoryLimit, and a status (replicas, updated, ready, available, observedGeneration, Available and
/// Progressing conditions) that <c>kubectl get deploy</c> and <c>kubectl rollout status</c> read.
/// </summary>
internal sealed class DeploymentController : IAsyncDisposable
{
    public const string Resource = "deployments.apps";
    public const string PodTemplateHashLabel = "pod-template-hash";
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    private static readonly Api.Rbac.UserInfo Identity = ControllerIdentity("deployment-controller");

    private readonly ApiOperations _ops;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly OwnerLoop _loop;

    public DeploymentController(ApiOperations ops, ILogger<DeploymentController> log, TimeProvider? time = null)
    {
        _ops = ops;
        _log = log;
        _time = time ?? TimeProvider.System;
        _loop = new OwnerLoop(ops, "Deployment", Resource, ReplicaSetController.Resource, ReconcileAsync, log);
    }

    private async Task ReconcileAsync(string ns, string name, StoredObject stored, CancellationToken ct)
    {
        if (IsTerminating(stored.ToJsonObject()))
        {
            return;
        }

        var deploy = stored.ToJsonObject();
        var spec = deploy["spec"] as JsonObject ?? [];
        var desired = (int?)spec["replicas"] ?? 1;
        var template = spec["template"] as JsonObject ?? [];
        var hash = TemplateHash(WithoutHashLabel(template));
        var rsDef = Def(_ops, ReplicaSetController.Resource);
        var owned = Owned(ns, stored.Uid);
        var newRs = owned.FirstOrDefault(r => Labels(r).GetValueOrDefault(PodTemplateHashLabel) == hash);
        var oldRs = owned.Where(r => r != newRs).OrderBy(r => (string?)r["metadata"]?["creationTimestamp"], StringComparer.Ordinal).ThenBy(Name, StringComparer.Ordinal).ToList();
        var maxRevision = owned.Select(Revision).DefaultIfEmpty(0).Max();
        var recreate = (string?)spec["strategy"]?["type"] == "Recreate";
        var (surge, unavailable) = recreate ? (0, desired) : RolloutPlan.Limits(spec["strategy"]?["rollingUpdate"]?["maxSurge"], spec["strategy"]?["rollingUpdate"]?["maxUnavailable"], desired);
        string? progressReason = null;

        var oldCounts = oldRs.Select(Counts).ToList();
        if (newRs is null)
        {
            var (initial, _) = recreate
                ? RolloutPlan.RecreateStep(desired, oldCounts, oldRs.Sum(r => (int?)r["status"]?["replicas"] ?? 0))
                : RolloutPlan.RollingStep(desired, surge, unavailable, new ReplicaSetCounts("", 0, 0), oldCounts);
            try
            {
                newRs = await _ops.CreateAsync(Identity, rsDef, ns, NewReplicaSet(deploy, template, hash, initial, maxRevision + 1, desired, surge),
                    new WriteOptions { FieldManager = "deployment-controller" }, ct);
                progressReason = "NewReplicaSetCreated";
                _log.LogInformation("Deployment {Ns}/{Name}: created ReplicaSet {Rs} with {Replicas} replicas", ns, name, Name(newRs), initial);
            }
            catch (ApiException e) when (e.Code == 409)
            {
                return; // a ReplicaSet of that name exists but is not ours (or not yet seen): the next pass sorts it out
            }
        }
        else if (Revision(newRs) < maxRevision)
        {
            // Rolling back to an old template makes its ReplicaSet the newest revision again.
            newRs = _ops.Mutate(rsDef, ns, Name(newRs), o => SetAnnotation(o, RevisionAnnotation, (maxRevision + 1).ToString(CultureInfo.InvariantCulture)), "deployment-controller");
        }

        var (newReplicas, oldReplicas) = recreate
            ? RolloutPlan.RecreateStep(desired, oldCounts, oldRs.Sum(r => (int?)r["status"]?["replicas"] ?? 0))
            : RolloutPlan.RollingStep(desired, surge, unavailable, Counts(newRs), oldCounts);
        SetReplicas(rsDef, ns, newRs, newReplicas, desired, surge);
        foreach (var rs in oldRs)
        {
            SetReplicas(rsDef, ns, rs, oldReplicas[Name(rs)], desired, surge);
        }

        await CleanUpHistoryAsync(rsDef, ns, oldRs, (int?)spec["revisionHistoryLimit"] ?? 10, ct);
        WriteStatus(ns, name, stored.Uid, Name(newRs), desired, unavailable, progressReason);
    }

    private List<JsonObject> Owned(string ns, string uid) =>
        _ops.Store.List(ReplicaSetController.Resource, ns).Items.Where(r => r.OwnerUids.Contains(uid)).Select(r => r.ToJsonObject())
            .Where(r => !IsTerminating(r)).ToList();

    private static ReplicaSetCounts Counts(JsonObject rs) =>
        new(Name(rs), (int?)rs["spec"]?["replicas"] ?? 0, (int?)rs["status"]?["availableReplicas"] ?? 0);

    private static long Revision(JsonObject rs) =>
        long.TryParse((string?)rs["metadata"]?["annotations"]?[RevisionAnnotation], NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0;

    private static JsonObject WithoutHashLabel(JsonObject template)
    {
        var copy = template.DeepClone().AsObject();
        (copy["metadata"]?["labels"] as JsonObject)?.Remove(PodTemplateHashLabel);
        return copy;
    }

    private static JsonObject SetAnnotation(JsonObject o, string key, string value)
    {
        var meta = o["metadata"] as JsonObject ?? (JsonObject)(o["metadata"] = new JsonObject());
        var annotations = meta["annotations"] as JsonObject ?? (JsonObject)(meta["annotations"] = new JsonObject());
        annotations[key] = value;
        return o;
    }

    private void SetReplicas(ResourceDefinition rsDef, string ns, JsonObject rs, int replicas, int desired, int surge)
    {
        var desiredText = desired.ToString(CultureInfo.InvariantCulture);
        var maxText = (desired + surge).ToString(CultureInfo.InvariantCulture);
        if ((int?)rs["spec"]?["replicas"] == replicas
            && (string?)rs["metadata"]?["annotations"]?["deployment.kubernetes.io/desired-replicas"] == desiredText)
        {
            return;
        }

        _ops.Mutate(rsDef, ns, Name(rs), o =>
        {
            (o["spec"] as JsonObject ?? (JsonObject)(o["spec"] = new JsonObject()))["replicas"] = replicas;
            SetAnnotation(o, "deployment.kubernetes.io/desired-replicas", desiredText);
            return SetAnnotation(o, "deployment.kubernetes.io/max-replicas", maxText);
        }, "deployment-controller");
    }

    private async Task CleanUpHistoryAsync(ResourceDefinition rsDef, string ns, List<JsonObject> oldestFirst, int limit, CancellationToken ct)
    {
        var idle = oldestFirst.Where(r => ((int?)r["spec"]?["replicas"] ?? 0) == 0 && ((int?)r["status"]?["replicas"] ?? 0) == 0).ToList();
        foreach (var rs in idle.Take(Math.Max(0, idle.Count - limit)))
        {
            try
            {
                await _ops.DeleteAsync(Identity, rsDef, ns, Name(rs), new DeleteOptions(), ct);
            }
            catch (ApiException e) when (e.Code == 404)
            {
            }
        }
    }

    private void WriteStatus(string ns, string name, string uid, string newRsName, int desired, int maxUnavailable, string? progressReason)
    {
        var owned = Owned(ns, uid);
        int Sum(string field) => owned.Sum(r => (int?)r["status"]?[field] ?? 0);
        var newRs = owned.FirstOrDefault(r => Name(r) == newRsName);
        var replicas = Sum("replicas");
        var updated = (int?)newRs?["status"]?["replicas"] ?? 0;
        var available = Sum("availableReplicas");
        var total = owned.Sum(r => (int?)r["spec"]?["replicas"] ?? 0);
        var revision = newRs is null ? null : (string?)newRs["metadata"]?["annotations"]?[RevisionAnnotation];
        var now = Now(_time);
        _ops.Mutate(Def(_ops, Resource), ns, name, o =>
        {
            var old = o["status"] as JsonObject ?? [];
            var status = new JsonObject
            {
                ["observedGeneration"] = Generation(o),
                ["replicas"] = replicas,
                ["updatedReplicas"] = updated,
                ["readyReplicas"] = Sum("readyReplicas"),
                ["availableReplicas"] = available,
            };
            if (total - available > 0)
            {
                status["unavailableReplicas"] = total - available;
            }

            if (old["conditions"] is JsonArray conditions)
            {
                status["conditions"] = conditions.DeepClone();
            }

            var minimum = available >= desired - maxUnavailable;
            SetCondition(status, "Available", minimum,
                minimum ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                minimum ? "Deployment has minimum availability." : "Deployment does not have minimum availability.", now);
            var complete = updated == desired && replicas == desired && available == desired
                && ((int?)newRs?["spec"]?["replicas"] ?? 0) == desired;
            if (complete)
            {
                SetCondition(status, "Progressing", true, "NewReplicaSetAvailable", $"ReplicaSet \"{newRsName}\" has successfully progressed.", now);
            }
            else if (progressReason == "NewReplicaSetCreated")
            {
                SetCondition(status, "Progressing", true, progressReason, $"Created new replica set \"{newRsName}\"", now);
            }
            else
            {
                SetCondition(status, "Progressing", true, "ReplicaSetUpdated", $"ReplicaSet \"{newRsName}\" is progressing.", now);
            }

            // Keep the conditions in the order the real controller writes them.
            if (status["conditions"] is JsonArray list)
            {
                var ordered = list.OfType<JsonObject>().OrderBy(c => (string?)c["type"] == "Available" ? 0 : 1).Select(c => (JsonNode)c.DeepClone()).ToArray();
                status["conditions"] = new JsonArray(ordered);
            }

            var annotationChanged = revision is not null && (string?)o["metadata"]?["annotations"]?[RevisionAnnotation] != revision;
            if (JsonNode.DeepEquals(status, old) && !annotationChanged)
            {
                return null;
            }

            o["status"] = status;
            return revision is null ? o : SetAnnotation(o, RevisionAnnotation, revision);
        }, "deployment-controller");
    }

    private static JsonObject NewReplicaSet(JsonObject deploy, JsonObject template, string hash, int replicas, long revision, int desired, int surge)
    {
        var podTemplate = template.DeepClone().AsObject();
        var templateMeta = podTemplate["metadata"] as JsonObject ?? (JsonObject)(podTemplate["metadata"] = new JsonObject());
        var templateLabels = templateMeta["labels"] as JsonObject ?? (JsonObject)(templateMeta["labels"] = new JsonObject());
        templateLabels[PodTemplateHashLabel] = hash;
        var selector = deploy["spec"]?["selector"]?.DeepClone() as JsonObject ?? [];
        var matchLabels = selector["matchLabels"] as JsonObject ?? (JsonObject)(selector["matchLabels"] = new JsonObject());
        matchLabels[PodTemplateHashLabel] = hash;
        var deployName = Name(deploy);
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ReplicaSet",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{deployName}-{hash}",
                ["namespace"] = deploy["metadata"]?["namespace"]?.DeepClone(),
                ["labels"] = templateLabels.DeepClone(),
                ["annotations"] = new JsonObject
                {
                    [RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture),
                    ["deployment.kubernetes.io/desired-replicas"] = desired.ToString(CultureInfo.InvariantCulture),
                    ["deployment.kubernetes.io/max-replicas"] = (desired + surge).ToString(CultureInfo.InvariantCulture),
                },
                ["ownerReferences"] = new JsonArray(ControllerRef("apps/v1", "Deployment", deploy)),
            },
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas,
                ["minReadySeconds"] = deploy["spec"]?["minReadySeconds"]?.DeepClone() ?? 0,
                ["selector"] = selector,
                ["template"] = podTemplate,
            },
        };
    }

    public ValueTask DisposeAsync() => _loop.DisposeAsync();
}
