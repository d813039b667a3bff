using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Runai.Sim.Operators.Internal;

/// <summary>List+watch definitions of the kinds the simulated node agents and operators follow.</summary>
internal static class Sources
{
    // Servers end watches after timeoutSeconds; resuming is cheap and proves the resume path works.
    private const int WatchTimeoutSeconds = 300;

    public static InformerSource<V1Pod> Pods(IKubernetes client, string? labelSelector = null, string? fieldSelector = null) => new(
        "pods",
        async ct =>
        {
            var list = await client.CoreV1.ListPodForAllNamespacesAsync(labelSelector: labelSelector, fieldSelector: fieldSelector, cancellationToken: ct).ConfigureAwait(false);
            return (list.Items.ToList(), list.Metadata?.ResourceVersion ?? "0");
        },
        (rv, onError, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(
            resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: WatchTimeoutSeconds,
            labelSelector: labelSelector, fieldSelector: fieldSelector, onError: onError, cancellationToken: ct),
        p => $"{p.Namespace()}/{p.Name()}",
        p => p.ResourceVersion());

    public static InformerSource<V1Node> Nodes(IKubernetes client) => new(
        "nodes",
        async ct =>
        {
            var list = await client.CoreV1.ListNodeAsync(cancellationToken: ct).ConfigureAwait(false);
            return (list.Items.ToList(), list.Metadata?.ResourceVersion ?? "0");
        },
        (rv, onError, ct) => client.CoreV1.WatchListNodeAsync(
            resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
        n => n.Name(),
        n => n.ResourceVersion());

    /// <summary>A custom resource across all namespaces, as JSON objects (no typed model exists for them here).</summary>
    public static InformerSource<JsonObject> Custom(IKubernetes client, string group, string version, string plural) => new(
        $"{plural}.{group}",
        async ct =>
        {
            var result = await client.CustomObjects.ListClusterCustomObjectAsync(group, version, plural, cancellationToken: ct).ConfigureAwait(false);
            var list = ToJsonObject(result) ?? throw new InvalidOperationException($"listing {plural}.{group} answered no object");
            var items = (list["items"] as JsonArray ?? []).OfType<JsonObject>().Select(i => (JsonObject)i.DeepClone()).ToList();
            return (items, list["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "0");
        },
        (rv, onError, ct) => WatchCustom(client, group, version, plural, rv, onError, ct),
        o => $"{o["metadata"]?["namespace"]?.GetValue<string>()}/{o["metadata"]?["name"]?.GetValue<string>()}",
        o => o["metadata"]?["resourceVersion"]?.GetValue<string>());

    private static async IAsyncEnumerable<(WatchEventType, JsonObject)> WatchCustom(IKubernetes client, string group, string version, string plural,
        string rv, Action<Exception> onError, [EnumeratorCancellation] CancellationToken ct)
    {
        var events = client.CustomObjects.WatchListClusterCustomObjectAsync(group, version, plural,
            resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct);
        await foreach (var (type, value) in events.ConfigureAwait(false))
        {
            if (ToJsonObject(value) is { } obj) yield return (type, obj);
        }
    }

    public static JsonObject? ToJsonObject(object? value) => value switch
    {
        null => null,
        JsonObject o => o,
        JsonElement e => JsonNode.Parse(e.GetRawText()) as JsonObject,
        _ => JsonNode.Parse(KubernetesJson.Serialize(value)) as JsonObject,
    };
}
