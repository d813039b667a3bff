using System.Text.Json.Nodes;

namespace Runai.Core.Yaml;

/// <summary>
/// Reads multi-document YAML of Kubernetes objects into <see cref="JsonObject"/>s and writes JSON as YAML.
/// Scalars are typed by the YAML 1.2 core schema, as tags and quoting say: plain <c>4</c> is a number,
/// <c>"4"</c> a string, <c>true</c> a boolean, <c>null</c>/<c>~</c>/nothing is null. Anchors, aliases and
/// merge keys (<c>&lt;&lt;</c>) work; duplicate keys and malformed YAML fail with line and column.
/// </summary>
public static class KubeYaml
{
    /// <summary>Every non-empty document, each of which must be a mapping (a Kubernetes object).</summary>
    /// <param name="sourceName">Shown in errors, e.g. the file name.</param>
    public static IReadOnlyList<JsonObject> ReadObjects(string yaml, string? sourceName = null)
    {
        var objects = new List<JsonObject>();
        foreach (var document in YamlReader.ReadDocuments(yaml, sourceName))
        {
            switch (document.Node)
            {
                case null:
                    continue; // "---" with nothing after it, or only comments
                case JsonObject obj:
                    objects.Add(obj);
                    break;
                default:
                    throw new KubeYamlException(sourceName, document.Line, document.Column,
                        $"document {document.Index + 1} is {Describe(document.Node)}, but a Kubernetes object must be a mapping");
            }
        }
        return objects;
    }

    /// <summary>Exactly one object; fails when the YAML holds none or several.</summary>
    public static JsonObject ReadObject(string yaml, string? sourceName = null)
    {
        var objects = ReadObjects(yaml, sourceName);
        return objects.Count == 1
            ? objects[0]
            : throw new KubeYamlException(sourceName, 1, 1, $"expected exactly one object, found {objects.Count}");
    }

    /// <summary>Reads every object of a YAML file; errors name the file.</summary>
    public static IReadOnlyList<JsonObject> ReadObjectsFromFile(string path) =>
        ReadObjects(File.ReadAllText(path), path);

    /// <summary>Every document as it is (any JSON value; null for an empty document).</summary>
    public static IReadOnlyList<JsonNode?> ReadDocuments(string yaml, string? sourceName = null) =>
        YamlReader.ReadDocuments(yaml, sourceName).Select(d => d.Node).ToList();

    /// <summary>One JSON value as a YAML document (block style, strings quoted where YAML would read them as something else).</summary>
    public static string Write(JsonNode? node) => YamlWriter.Write([node]);

    /// <summary>Several documents separated by <c>---</c>.</summary>
    public static string WriteAll(IEnumerable<JsonNode?> documents) => YamlWriter.Write(documents);

    private static string Describe(JsonNode node) => node switch
    {
        JsonArray => "a sequence",
        JsonValue value => $"a scalar ({Shorten(value.ToJsonString())})",
        _ => node.GetType().Name,
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

/// <summary>A parsed document with where it starts, for error messages.</summary>
internal sealed record YamlDocument(int Index, JsonNode? Node, long Line, long Column);
