using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Runai.Sim.Api;
using Runai.Sim.Api.Storage;
using static Runai.Sim.Cluster.WorkloadObjects;
using Runai.Sim.Operators;
using k8s;
using k8s.Models;

namespace Runai.Sim.Cluster;

/// <summary>
/// The DaemonSet controller of kube-controller-manager, reduced to what operators read: one pod per eligible node
/// (nodeSelector, required node affinity and NoSchedule taints decide), pods replaced when they end, and a status
/// whose desired/current/ready/available/up-to-date numbers come from those pods as the kubelets run them.
/// </summary>
internal sealed class DaemonSetController : IAsyncDisposable
{
    private const string Resource = "daemonsets.apps";
    private const string PodTemplateHashLabel = "controller-revision-hash";
    private static readonly Api.Rbac.UserInfo Identity = ControllerIdentity("daemon-set-controller");

    private readonly ApiOperations _ops;
    private readonly ReconcileLoop _loop;

    public DaemonSetController(ApiOperations ops, ILogger<DaemonSetController> log)
    {
        _ops = ops;
        _loop = new ReconcileLoop("DaemonSet", ReconcileAsync, () => ops.Store.List(Resource, null).Items.Select(d => d.Key), TimeSpan.FromSeconds(5), log);
        ops.Changed += OnChanged;
        _loop.Start();
    }

    private void OnChanged(ResourceDefinition def, StoreEvent e)
    {
        switch (def.GroupResource)
        {
            case Resource:
                _loop.Enqueue(e.Object.Key);
                break;
            case "nodes":
                foreach (var ds in _ops.Store.List(Resource, null).Items)
                {
                    _loop.Enqueue(ds.Key);
                }

                break;
            case "pods" when e.Object.OwnerUids.Length > 0:
                if (_ops.Store.FindByUid(e.Object.OwnerUids[0]) is { Resource: Resource } owner)
                {
                    _loop.Enqueue(owner.Key);
                }

                break;
        }
    }

    private async Task ReconcileAsync(string key, CancellationToken ct)
    {
        var slash = key.IndexOf('/');
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var dsDef = _ops.Registry.FindGroupResource(Resource)!;
        var podDef = _ops.Registry.FindGroupResource("pods")!;
        var stored = _ops.Store.Get(Resource, ns, name);
        if (stored is null)
        {
            return;
        }

        var ds = stored.ToJsonObject();
        if (IsTerminating(ds))
        {
            return;
        }

        var template = ds["spec"]?["template"] as JsonObject ?? [];
        var hash = TemplateHash(template);
        var nodes = _ops.Store.List("nodes", null).Items.Select(n => n.ToJsonObject()).Where(n => Eligible(n, template)).ToList();
        var pods = _ops.Store.List("pods", ns).Items.Where(p => p.OwnerUids.Contains(stored.Uid)).Select(p => p.ToJsonObject()).ToList();
        var byNode = pods.GroupBy(p => (string?)p["spec"]?["nodeName"] ?? "").ToDictionary(g => g.Key, g => g.ToList());
        var eligible = nodes.Select(n => (string)n["metadata"]!["name"]!).ToHashSet(StringComparer.Ordinal);

        foreach (var node in eligible)
        {
            var live = byNode.GetValueOrDefault(node)?.Where(p => !IsTerminating(p)).ToList() ?? [];
            var finished = live.Where(IsTerminal).ToList();
            foreach (var f in finished)
            {
                await DeleteAsync(f, ct);
            }

            if (live.Count - finished.Count == 0)
            {
                await _ops.CreateAsync(Identity, podDef, ns, NewPod(ds, template, node, hash), new WriteOptions { FieldManager = "daemon-set-controller" }, ct);
            }
        }

        foreach (var (node, list) in byNode)
        {
            if (!eligible.Contains(node))
            {
                foreach (var p in list)
                {
                    await DeleteAsync(p, ct);
                }
            }
        }

        var current = pods.Where(p => eligible.Contains((string?)p["spec"]?["nodeName"] ?? "") && !IsTerminating(p)).ToList();
        var ready = current.Count(IsReady);
        var updated = current.Count(p => (string?)p["metadata"]?["labels"]?[PodTemplateHashLabel] == hash);
        _ops.Mutate(dsDef, ns, name, o =>
        {
            var status = new JsonObject
            {
                ["currentNumberScheduled"] = current.Count,
                ["desiredNumberScheduled"] = eligible.Count,
                ["numberMisscheduled"] = byNode.Keys.Count(k => k.Length > 0 && !eligible.Contains(k)),
                ["numberReady"] = ready,
                ["numberAvailable"] = ready,
                ["updatedNumberScheduled"] = updated,
                ["observedGeneration"] = Generation(o),
            };
            if (eligible.Count - ready > 0)
            {
                status["numberUnavailable"] = eligible.Count - ready;
            }

            return JsonNode.DeepEquals(status, o["status"]) ? null : WithStatus(o, status);
        });
    }

    private Task DeleteAsync(JsonObject pod, CancellationToken ct) =>
        DeletePodAsync(_ops, Identity, (string)pod["metadata"]!["namespace"]!, Name(pod), ct);

    private static JsonObject NewPod(JsonObject ds, JsonObject template, string node, string hash)
    {
        var dsName = Name(ds);
        var meta = template["metadata"]?.DeepClone() as JsonObject ?? [];
        meta["generateName"] = dsName + "-";
        var labels = meta["labels"] as JsonObject ?? (JsonObject)(meta["labels"] = new JsonObject());
        labels[PodTemplateHashLabel] = hash;
        labels["pod-template-generation"] = Generation(ds).ToString(CultureInfo.InvariantCulture);
        meta["ownerReferences"] = new JsonArray(ControllerRef("apps/v1", "DaemonSet", ds));
        var spec = template["spec"]?.DeepClone() as JsonObject ?? [];
        // The controller pins each pod to its node, as the DaemonSet controller's node affinity does.
        spec["nodeName"] = node;
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = meta, ["spec"] = spec };
    }

    /// <summary>The node filters kube-scheduler applies (node selector, required node affinity, NoSchedule/NoExecute taints).</summary>
    private static bool Eligible(JsonObject node, JsonObject template)
    {
        var typedNode = KubernetesJson.Deserialize<V1Node>(node.ToJsonString());
        var pod = new V1Pod { Spec = KubernetesJson.Deserialize<V1PodSpec>((template["spec"] ?? new JsonObject()).ToJsonString()) };
        return Placement.MatchesNodeSelector(pod, typedNode)
            && (typedNode.Spec?.Taints ?? []).Where(t => t.Effect is "NoSchedule" or "NoExecute").All(t => Placement.Tolerates(pod, t));
    }

    public async ValueTask DisposeAsync()
    {
        _ops.Changed -= OnChanged;
        await _loop.DisposeAsync();
    }
}
