using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Tables;

/// <summary>Lenient reads from JSON objects, answering the Go zero value when a field is absent or of another type.</summary>
internal static class Fields
{
    public static JsonNode? At(this JsonNode? node, params string[] path)
    {
        foreach (var name in path)
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(name, out node))
            {
                return null;
            }
        }

        return node;
    }

    public static string Str(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";

    public static long Int(this JsonNode? node, params string[] path) =>
        node.At(path) is { } v && v.TryGetDouble(out var d) ? v.TryGetLong(out var l) ? l : (long)d : 0;

    /// <summary>
    /// Reads a JSON number whatever CLR type the node was built from (parsed text, int, long, double…);
    /// the JSON text is the one representation they all share.
    /// </summary>
    public static bool TryGetDouble(this JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>True for a JSON number that is an integer literal within the range of a long.</summary>
    public static bool TryGetLong(this JsonNode? node, out long value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public static bool Bool(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    public static IReadOnlyList<JsonObject> Objects(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonArray a ? a.OfType<JsonObject>().ToList() : [];

    public static IReadOnlyList<KeyValuePair<string, string>> StringMap(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonObject o
            ? o.Select(p => new KeyValuePair<string, string>(p.Key, p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : p.Value?.ToJsonString() ?? "")).ToList()
            : [];

    public static int Count(this JsonNode? node, params string[] path) => node.At(path) switch
    {
        JsonObject o => o.Count,
        JsonArray a => a.Count,
        _ => 0,
    };

    public static string OrNone(this string s) => s.Length == 0 ? "<none>" : s;
}
