using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Runai.Sim.Api;
using Runai.Sim.Api.Storage;
using Runai.Sim.Kubelet;
using static Runai.Sim.Cluster.WorkloadObjects;

namespace Runai.Sim.Cluster;

/// <summary>
/// The Endpoints controller: for every Service with a selector, an Endpoints object of the same name listing the
/// matching pods (ready ones under <c>addresses</c>, the others under <c>notReadyAddresses</c>) with each Service
/// port's target resolved in the pod. A process-backed pod contributes 127.0.0.1 and the real port its kubelet gave it,
/// so the API's service proxy and the kube-proxy stand-in reach the real process. Services without a selector keep
/// whatever Endpoints their owner writes.
/// </summary>
internal sealed class EndpointsController : IAsyncDisposable
{
    private static readonly Api.Rbac.UserInfo Identity = ControllerIdentity("endpoint-controller");

    private readonly ApiOperations _ops;
    private readonly ReconcileLoop _loop;

    public EndpointsController(ApiOperations ops, ILogger<EndpointsController> log)
    {
        _ops = ops;
        _loop = new ReconcileLoop("Endpoints", ReconcileAsync, () => ops.Store.List("services", null).Items.Select(i => i.Key), TimeSpan.FromSeconds(5), log);
        ops.Changed += OnChanged;
        _loop.Start();
    }

    private void OnChanged(ResourceDefinition def, StoreEvent e)
    {
        switch (def.GroupResource)
        {
            case "services":
                _loop.Enqueue(e.Object.Key);
                break;
            case "pods":
                foreach (var svc in _ops.Store.List("services", e.Object.Namespace).Items)
                {
                    _loop.Enqueue(svc.Key);
                }

                break;
        }
    }

    private async Task ReconcileAsync(string key, CancellationToken ct)
    {
        var slash = key.IndexOf('/');
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var epDef = Def(_ops, "endpoints");
        var svc = _ops.Store.Get("services", ns, name)?.ToJsonObject();
        if (svc is null)
        {
            // A Service's Endpoints go with it, as the real controller deletes them.
            _ops.Remove(epDef, ns, name);

            return;
        }

        if (svc["spec"]?["selector"] is not JsonObject { Count: > 0 } selectorObject)
        {
            return;
        }

        var selector = selectorObject.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "", StringComparer.Ordinal);
        var pods = _ops.Store.List("pods", ns).Items
            .Where(p => selector.All(kv => p.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value))
            .Select(p => p.ToJsonObject())
            .Where(p => !IsTerminating(p) && !IsTerminal(p))
            .OrderBy(Name, StringComparer.Ordinal)
            .ToList();
        var subsets = Subsets(svc, pods);
        var existing = _ops.Store.Get("endpoints", ns, name);
        if (existing is null)
        {
            var endpoints = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Endpoints",
                ["metadata"] = new JsonObject
                {
                    ["name"] = name,
                    ["namespace"] = ns,
                },
            };
            if (subsets.Count > 0)
            {
                endpoints["subsets"] = subsets;
            }

            try
            {
                await _ops.CreateAsync(Identity, epDef, ns, endpoints, new WriteOptions { FieldManager = "endpoint-controller" }, ct);
            }
            catch (ApiException e) when (e.Code == 409)
            {
                _loop.Enqueue(key);
            }

            return;
        }

        _ops.Mutate(epDef, ns, name, o =>
        {
            var current = o["subsets"] as JsonArray ?? [];
            if (JsonNode.DeepEquals(current, subsets))
            {
                return null;
            }

            if (subsets.Count > 0)
            {
                o["subsets"] = subsets.DeepClone();
            }
            else
            {
                o.Remove("subsets");
            }

            return o;
        }, "endpoint-controller");
    }

    /// <summary>Pods grouped by the ports they serve (pods whose ports differ land in different subsets, as on a real cluster).</summary>
    internal static JsonArray Subsets(JsonObject svc, IReadOnlyList<JsonObject> pods)
    {
        var servicePorts = (svc["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var groups = new List<(string Key, JsonArray Ports, JsonArray Ready, JsonArray NotReady)>();
        foreach (var pod in pods)
        {
            if (string.IsNullOrEmpty((string?)pod["status"]?["podIP"]))
            {
                continue;
            }

            var ports = new JsonArray();
            string? ip = null;
            foreach (var sp in servicePorts)
            {
                if (PodPorts.ContainerPort(pod, sp["targetPort"] ?? sp["port"]) is not { } containerPort || PodPorts.Reach(pod, containerPort) is not { } reach)
                {
                    continue;
                }

                ip = reach.Ip;
                var port = new JsonObject { ["port"] = reach.Port, ["protocol"] = (string?)sp["protocol"] ?? "TCP" };
                if ((string?)sp["name"] is { Length: > 0 } portName)
                {
                    port["name"] = portName;
                }

                ports.Add(port);
            }

            if (ip is null)
            {
                continue;
            }

            var address = new JsonObject
            {
                ["ip"] = ip,
                ["targetRef"] = new JsonObject
                {
                    ["kind"] = "Pod",
                    ["namespace"] = pod["metadata"]?["namespace"]?.DeepClone(),
                    ["name"] = Name(pod),
                    ["uid"] = Uid(pod),
                },
            };
            if ((string?)pod["spec"]?["nodeName"] is { } node)
            {
                address["nodeName"] = node;
            }

            var key = ports.ToJsonString();
            var group = groups.FirstOrDefault(g => g.Key == key);
            if (group.Key is null)
            {
                group = (key, ports, [], []);
                groups.Add(group);
            }

            (IsReady(pod) ? group.Ready : group.NotReady).Add(address);
        }

        var subsets = new JsonArray();
        foreach (var (_, ports, ready, notReady) in groups)
        {
            var subset = new JsonObject();
            if (ready.Count > 0) subset["addresses"] = ready;
            if (notReady.Count > 0) subset["notReadyAddresses"] = notReady;
            subset["ports"] = ports;
            subsets.Add(subset);
        }

        return subsets;
    }

    public async ValueTask DisposeAsync()
    {
        _ops.Changed -= OnChanged;
        await _loop.DisposeAsync();
    }
}
