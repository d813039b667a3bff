using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Runai.Sim.Api;
using Runai.Sim.Api.Storage;
using static Runai.Sim.Cluster.WorkloadObjects;

namespace Runai.Sim.Cluster;

/// <summary>
/// The ReplicaSet controller of kube-controller-manager: keeps <c>spec.replicas</c> pods from the template (creating
/// with generateName, deleting the least useful first: unscheduled, then pending, then unready, newest first), removes
/// pods that ended so they are replaced, and reports replicas/ready/available from the pods the kubelets run.
/// </summary>
internal sealed class ReplicaSetController : IAsyncDisposable
{
    public const string Resource = "replicasets.apps";
    private static readonly Api.Rbac.UserInfo Identity = ControllerIdentity("replicaset-controller");

    private readonly ApiOperations _ops;
    private readonly OwnerLoop _loop;

    public ReplicaSetController(ApiOperations ops, ILogger<ReplicaSetController> log)
    {
        _ops = ops;
        _loop = new OwnerLoop(ops, "ReplicaSet", Resource, "pods", ReconcileAsync, log);
    }

    private async Task ReconcileAsync(string ns, string name, StoredObject stored, CancellationToken ct)
    {
        var rs = stored.ToJsonObject();
        var podDef = Def(_ops, "pods");
        if (!IsTerminating(rs))
        {
            var desired = (int?)rs["spec"]?["replicas"] ?? 1;
            var pods = OwnedPods(_ops, ns, stored.Uid);
            foreach (var ended in pods.Where(p => !IsTerminating(p) && IsTerminal(p)))
            {
                await DeletePodAsync(_ops, Identity, ns, Name(ended), ct);
            }

            var active = pods.Where(p => !IsTerminating(p) && !IsTerminal(p)).ToList();
            if (active.Count < desired)
            {
                var template = rs["spec"]?["template"] as JsonObject ?? [];
                for (var i = active.Count; i < desired; i++)
                {
                    await _ops.CreateAsync(Identity, podDef, ns, NewPod(rs, template), new WriteOptions { FieldManager = "replicaset-controller" }, ct);
                }
            }
            else if (active.Count > desired)
            {
                foreach (var surplus in active.OrderBy(DeletionRank).ThenByDescending(p => (string?)p["metadata"]?["creationTimestamp"], StringComparer.Ordinal)
                             .Take(active.Count - desired))
                {
                    await DeletePodAsync(_ops, Identity, ns, Name(surplus), ct);
                }
            }
        }

        var now = OwnedPods(_ops, ns, stored.Uid).Where(p => !IsTerminating(p) && !IsTerminal(p)).ToList();
        var templateLabels = (rs["spec"]?["template"]?["metadata"]?["labels"] as JsonObject ?? []).ToDictionary(kv => kv.Key, kv => kv.Value?.ToString());
        var ready = now.Count(IsReady);
        _ops.Mutate(Def(_ops, Resource), ns, name, o =>
        {
            var status = new JsonObject
            {
                ["replicas"] = now.Count,
                ["fullyLabeledReplicas"] = now.Count(p => templateLabels.All(kv => Labels(p).TryGetValue(kv.Key, out var v) && v == kv.Value)),
                ["readyReplicas"] = ready,
                ["availableReplicas"] = ready,
                ["observedGeneration"] = Generation(o),
            };
            return JsonNode.DeepEquals(status, o["status"]) ? null : WithStatus(o, status);
        });
    }

    /// <summary>Lower goes first: a pod not yet on a node, then one not running, then one not ready.</summary>
    private static int DeletionRank(JsonObject pod) =>
        pod["spec"]?["nodeName"] is null ? 0
        : (string?)pod["status"]?["phase"] != "Running" ? 1
        : !IsReady(pod) ? 2
        : 3;

    private static JsonObject NewPod(JsonObject rs, JsonObject template)
    {
        var meta = template["metadata"]?.DeepClone() as JsonObject ?? [];
        meta.Remove("name");
        meta["generateName"] = Name(rs) + "-";
        meta["ownerReferences"] = new JsonArray(ControllerRef("apps/v1", "ReplicaSet", rs));
        var spec = template["spec"]?.DeepClone() as JsonObject ?? [];
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = meta, ["spec"] = spec };
    }

    public ValueTask DisposeAsync() => _loop.DisposeAsync();
}
