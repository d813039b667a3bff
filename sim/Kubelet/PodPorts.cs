using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Sim.Kubelet;

/// <summary>
/// Where a process-backed pod really listens. Such a pod's processes all run on this machine, so the kubelet gives
/// each <c>--listen :PORT</c> a free loopback port instead, sets the pod's IP to 127.0.0.1 and records the mapping
/// (container port → real port) in the <see cref="Annotation"/>; the Endpoints controller, the kube-proxy stand-in and
/// Prometheus discovery read it from there.
/// </summary>
internal static class PodPorts
{
    public const string Annotation = "sim.run.ai/ports";
    public const string LoopbackIp = "127.0.0.1";

    public static string Format(IReadOnlyDictionary<int, int> ports) =>
        new JsonObject(ports.OrderBy(p => p.Key).Select(p => KeyValuePair.Create(p.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)p.Value))).ToJsonString();

    /// <summary>The mapping recorded on a pod; empty when there is none or it does not parse.</summary>
    public static IReadOnlyDictionary<int, int> Read(JsonObject pod)
    {
        var text = (string?)pod["metadata"]?["annotations"]?[Annotation];
        var map = new Dictionary<int, int>();
        if (string.IsNullOrEmpty(text))
        {
            return map;
        }

        try
        {
            foreach (var (key, value) in JsonNode.Parse(text) as JsonObject ?? [])
            {
                if (int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var from) && value is JsonValue v && v.TryGetValue<int>(out var to))
                {
                    map[from] = to;
                }
            }
        }
        catch (JsonException)
        {
        }

        return map;
    }

    /// <summary>
    /// The container port a Service's targetPort (a number or a container port's name) means in this pod, or null
    /// when the pod has no port of that name.
    /// </summary>
    public static int? ContainerPort(JsonObject pod, JsonNode? targetPort)
    {
        if (targetPort is JsonValue v && v.TryGetValue<int>(out var number))
        {
            return number;
        }

        var name = targetPort?.ToString();
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out number))
        {
            return number;
        }

        return NamedPorts(pod).TryGetValue(name, out var port) ? port : null;
    }

    /// <summary>Container ports by name across the pod's containers.</summary>
    public static IReadOnlyDictionary<string, int> NamedPorts(JsonObject pod)
    {
        var named = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var p in (c["ports"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if ((string?)p["name"] is { Length: > 0 } n && (int?)p["containerPort"] is { } cp)
                {
                    named.TryAdd(n, cp);
                }
            }
        }

        return named;
    }

    /// <summary>The address a client reaches the container port at: the real port when the kubelet moved it.</summary>
    public static (string Ip, int Port)? Reach(JsonObject pod, int containerPort)
    {
        var ip = (string?)pod["status"]?["podIP"];
        if (string.IsNullOrEmpty(ip))
        {
            return null;
        }

        var moved = Read(pod);
        return (ip, moved.TryGetValue(containerPort, out var real) ? real : containerPort);
    }
}
