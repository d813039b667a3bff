using System.Globalization;
using System.Text.Json.Nodes;
using Runai.Sim.Kubelet;
using static Runai.Sim.Cluster.WorkloadObjects;

namespace Runai.Sim.Cluster;

/// <summary>
/// Prometheus HTTP service discovery over the pods (<c>GET /sd/pods</c>): one target per ready pod per container port
/// named <c>metrics</c>, at the address the pod is really reached on, labelled namespace, pod, component (the
/// <c>app</c> label), node and container. Prometheus's kubernetes_sd would list pod IPs that do not route here; this
/// lists the loopback ports the kubelet gave the real processes, so every replica is scraped.
/// </summary>
internal static class PodDiscovery
{
    public const string MetricsPortName = "metrics";

    public static JsonArray Targets(IEnumerable<JsonObject> pods, string? ns = null)
    {
        var groups = new JsonArray();
        foreach (var pod in pods.OrderBy(p => (string?)p["metadata"]?["namespace"], StringComparer.Ordinal).ThenBy(Name, StringComparer.Ordinal))
        {
            var podNs = (string?)pod["metadata"]?["namespace"] ?? "";
            if ((ns is not null && podNs != ns) || IsTerminating(pod) || !IsReady(pod))
            {
                continue;
            }

            var labels = Labels(pod);
            foreach (var container in (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>())
            {
                foreach (var port in (container["ports"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    if ((string?)port["name"] != MetricsPortName || (int?)port["containerPort"] is not { } containerPort
                        || PodPorts.Reach(pod, containerPort) is not { } reach || reach.Ip != PodPorts.LoopbackIp)
                    {
                        // Only process-backed pods answer; a simulated pod's IP routes nowhere and would only show as down.
                        continue;
                    }

                    var targetLabels = new JsonObject
                    {
                        ["namespace"] = podNs,
                        ["pod"] = Name(pod),
                        ["container"] = (string?)container["name"] ?? "",
                    };
                    if ((labels.GetValueOrDefault("app") ?? labels.GetValueOrDefault("app.kubernetes.io/name")) is { } app)
                    {
                        targetLabels["component"] = app;
                    }

                    if ((string?)pod["spec"]?["nodeName"] is { } node)
                    {
                        targetLabels["node"] = node;
                    }

                    groups.Add(new JsonObject
                    {
                        ["targets"] = new JsonArray(string.Create(CultureInfo.InvariantCulture, $"{reach.Ip}:{reach.Port}")),
                        ["labels"] = targetLabels,
                    });
                }
            }
        }

        return groups;
    }
}
