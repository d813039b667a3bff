using System.Text.Json.Nodes;
using Runai.Sim.Api.Storage;

namespace Runai.Sim.Api;

/// <summary>
/// Resolves a Service port to an address through the Service's Endpoints object, as the API server's service
/// resolver does for webhooks and the service proxy. In the simulated cluster the addresses are loopback ports
/// where the component processes really listen.
/// </summary>
internal static class ServiceEndpoints
{
    /// <summary>
    /// "host:port" of the first ready endpoint serving <paramref name="port"/> (a port name or number; null or empty
    /// for the Service's only or first port), or null when the Service, that port or a ready endpoint is missing.
    /// </summary>
    public static string? Resolve(ObjectStore store, string ns, string service, string? port)
    {
        var svc = store.Get("services", ns, service)?.ToJsonObject();
        if (svc is null)
        {
            return null;
        }

        var ports = (svc["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var wanted = string.IsNullOrEmpty(port)
            ? ports.FirstOrDefault()
            : ports.FirstOrDefault(p => (string?)p["name"] == port || p["port"]?.ToString() == port);
        if (wanted is null && ports.Count > 0)
        {
            // A port the Service does not expose.
            return null;
        }

        var portName = (string?)wanted?["name"];
        var endpoints = store.Get("endpoints", ns, service)?.ToJsonObject();
        foreach (var subset in (endpoints?["subsets"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var address = (subset["addresses"] as JsonArray ?? []).OfType<JsonObject>().Select(a => (string?)a["ip"]).FirstOrDefault(a => a is not null);
            var endpointPort = (subset["ports"] as JsonArray ?? []).OfType<JsonObject>()
                .FirstOrDefault(p => portName is null || (string?)p["name"] == portName || (string?)p["name"] is null);
            if (address is not null && endpointPort?["port"] is { } number)
            {
                return $"{address}:{number}";
            }
        }

        return null;
    }
}
