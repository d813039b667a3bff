using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Storage;

/// <summary>
/// One stored object: its serialized JSON plus the few fields that selectors and indexes read,
/// so a list of 50,000 pods is a concatenation of byte arrays rather than a re-serialization.
/// Immutable: every write stores a new instance.
/// </summary>
internal sealed class StoredObject
{
    private StoredObject(string resource, string ns, string name, string uid, long resourceVersion, byte[] json,
        IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> fields, string[] ownerUids)
    {
        Resource = resource;
        Namespace = ns;
        Name = name;
        Uid = uid;
        ResourceVersion = resourceVersion;
        Json = json;
        Labels = labels;
        Fields = fields;
        OwnerUids = ownerUids;
    }

    /// <summary>The resource key (ResourceDefinition.GroupResource).</summary>
    public string Resource { get; }
    public string Namespace { get; }
    public string Name { get; }
    public string Uid { get; }
    public long ResourceVersion { get; }
    public byte[] Json { get; }
    public IReadOnlyDictionary<string, string> Labels { get; }
    /// <summary>Values of the fields that field selectors commonly name (metadata.name, spec.nodeName, status.phase, …).</summary>
    public IReadOnlyDictionary<string, string> Fields { get; }
    public string[] OwnerUids { get; }

    public string Key => StoreKey(Namespace, Name);

    public static string StoreKey(string ns, string name) => ns.Length == 0 ? name : ns + "/" + name;

    public JsonObject ToJsonObject() => JsonNode.Parse(Json)!.AsObject();

    /// <summary>Fields indexed for field selectors, beyond metadata.name and metadata.namespace.</summary>
    private static readonly string[][] IndexedFieldPaths =
    [
        ["spec", "nodeName"], ["spec", "schedulerName"], ["status", "phase"], ["spec", "serviceAccountName"],
        ["involvedObject", "kind"], ["involvedObject", "name"], ["involvedObject", "namespace"], ["involvedObject", "uid"],
        ["regarding", "kind"], ["regarding", "name"], ["regarding", "namespace"], ["regarding", "uid"],
        ["reason"], ["type"], ["spec", "unschedulable"], ["spec", "holderIdentity"],
    ];

    public static StoredObject From(string resource, JsonObject obj, long resourceVersion)
    {
        var meta = obj["metadata"] as JsonObject ?? throw new InvalidOperationException("object without metadata");
        var name = (string?)meta["name"] ?? "";
        var ns = (string?)meta["namespace"] ?? "";
        var uid = (string?)meta["uid"] ?? "";
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (meta["labels"] is JsonObject l)
        {
            foreach (var (k, v) in l)
            {
                labels[k] = v?.ToString() ?? "";
            }
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["metadata.name"] = name,
            ["metadata.namespace"] = ns,
        };
        foreach (var path in IndexedFieldPaths)
        {
            JsonNode? n = obj;
            foreach (var p in path)
            {
                n = n is JsonObject o ? o[p] : null;
            }

            if (n is JsonValue v)
            {
                fields[string.Join('.', path)] = v.ToString() is var s && v.GetValueKind() == JsonValueKind.True ? "true"
                    : v.GetValueKind() == JsonValueKind.False ? "false" : s;
            }
        }

        var owners = meta["ownerReferences"] is JsonArray refs
            ? refs.OfType<JsonObject>().Select(r => (string?)r["uid"] ?? "").Where(u => u.Length > 0).ToArray()
            : [];
        var json = JsonSerializer.SerializeToUtf8Bytes(obj);
        return new StoredObject(resource, ns, name, uid, resourceVersion, json, labels, fields, owners);
    }
}

internal enum WatchEventType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>A change to one object; <see cref="Previous"/> lets a filtered watch turn label changes into ADDED/DELETED.</summary>
internal sealed record StoreEvent(WatchEventType Type, StoredObject Object, StoredObject? Previous)
{
    public long ResourceVersion => Object.ResourceVersion;
}
