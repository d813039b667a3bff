using System.Text.Json.Nodes;

namespace Runai.Sim.Tests.Conformance.Support;

/// <summary>An object to send, with the resource it belongs to.</summary>
public sealed record Manifest(Kind Kind, JsonObject Body)
{
    public string Namespace => (string?)Body["metadata"]?["namespace"] ?? "";

    public string Name => (string?)Body["metadata"]?["name"] ?? "";

    public ObjectRef Ref => new(Kind, Namespace, Name);

    public Manifest With(Action<JsonObject> change)
    {
        var copy = Body.DeepClone().AsObject();
        change(copy);
        return this with { Body = copy };
    }
}

/// <summary>Small, valid objects for the cases; every name is unique so cases never collide on a shared cluster.</summary>
public static class Manifests
{
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    public static Manifest ConfigMap(string ns, string name, IReadOnlyDictionary<string, string>? data = null,
        IReadOnlyDictionary<string, string>? labels = null) => new(Kind.ConfigMap, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = Metadata(ns, name, labels),
            ["data"] = ToJson(data ?? new Dictionary<string, string> { ["k"] = "v" }),
        });

    public static Manifest Pod(string ns, string name, IReadOnlyDictionary<string, string>? labels = null, JsonObject? resources = null)
    {
        var container = new JsonObject { ["name"] = "main", ["image"] = "busybox:1.36" };
        if (resources is not null)
        {
            container["resources"] = resources;
        }

        return new(Kind.Pod, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = Metadata(ns, name, labels),
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(container) },
        });
    }

    public static Manifest Namespace(string name) => new(Kind.Namespace, new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = new JsonObject { ["name"] = name },
    });

    public static Manifest Project(string name, int quota) => new(Kind.Project, new JsonObject
    {
        ["apiVersion"] = "run.ai/v2alpha1",
        ["kind"] = "Project",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["gpus"] = new JsonObject { ["quota"] = quota } },
    });

    /// <summary>An owner reference to <paramref name="owner"/> as the server stored it (its uid).</summary>
    public static JsonObject OwnerReference(JsonObject owner) => new()
    {
        ["apiVersion"] = owner["apiVersion"]!.DeepClone(),
        ["kind"] = owner["kind"]!.DeepClone(),
        ["name"] = owner["metadata"]!["name"]!.DeepClone(),
        ["uid"] = owner["metadata"]!["uid"]!.DeepClone(),
    };

    private static JsonObject Metadata(string ns, string name, IReadOnlyDictionary<string, string>? labels)
    {
        var meta = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (labels is not null)
        {
            meta["labels"] = ToJson(labels);
        }

        return meta;
    }

    private static JsonObject ToJson(IReadOnlyDictionary<string, string> map) =>
        new(map.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
}
