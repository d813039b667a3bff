using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Patching;

// The one place that knows how to address and walk a JSON tree. JSON patch reaches nodes through
// RFC 6901 pointers, strategic merge and server-side apply through field paths (the structured-merge-diff
// path elements that fieldsV1 encodes); both step through JsonTree.TryStep.

/// <summary>RFC 6901 JSON pointers.</summary>
internal static class JsonPointer
{
    /// <summary>Splits a pointer into unescaped reference tokens; "" is the whole document.</summary>
    public static IReadOnlyList<string> Parse(string pointer)
    {
        if (pointer.Length == 0)
            return [];
        if (pointer[0] != '/')
            throw ApiException.BadRequest($"invalid JSON pointer \"{pointer}\": a pointer is empty or starts with '/'");
        var tokens = pointer[1..].Split('/');
        for (var i = 0; i < tokens.Length; i++)
            tokens[i] = Unescape(tokens[i], pointer);
        return tokens;
    }

    public static string Format(IEnumerable<string> tokens) =>
        string.Concat(tokens.Select(t => "/" + t.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));

    private static string Unescape(string token, string pointer)
    {
        if (!token.Contains('~'))
            return token;
        var sb = new StringBuilder(token.Length);
        for (var i = 0; i < token.Length; i++)
        {
            if (token[i] != '~')
            {
                sb.Append(token[i]);
                continue;
            }
            var next = i + 1 < token.Length ? token[i + 1] : '\0';
            sb.Append(next switch
            {
                '0' => '~',
                '1' => '/',
                _ => throw ApiException.BadRequest($"invalid JSON pointer \"{pointer}\": '~' must be followed by '0' or '1'"),
            });
            i++;
        }
        return sb.ToString();
    }
}

internal enum PathElementKind
{
    /// <summary>A member of an object: <c>f:name</c>.</summary>
    Field,
    /// <summary>An item of a list merged by key, named by its key fields: <c>k:{"name":"x"}</c>.</summary>
    Key,
    /// <summary>An item of a list of primitives merged as a set, named by its value: <c>v:"x"</c>.</summary>
    Value,
    /// <summary>An item of a list by position: <c>i:0</c>.</summary>
    Index,
}

/// <summary>
/// One step of a field path. <see cref="Text"/> is the field name, the index digits, or canonical JSON
/// (sorted keys, compact) of the key object or value, so equal steps compare equal as records.
/// </summary>
internal readonly record struct PathElement(PathElementKind Kind, string Text)
{
    public static PathElement Field(string name) => new(PathElementKind.Field, name);
    public static PathElement Index(int index) => new(PathElementKind.Index, index.ToString(CultureInfo.InvariantCulture));
    public static PathElement Value(JsonNode? value) => new(PathElementKind.Value, JsonTree.CanonicalJson(value));
    public static PathElement Key(JsonObject keyFields) => new(PathElementKind.Key, JsonTree.CanonicalJson(keyFields));

    /// <summary>The fieldsV1 spelling: f:, k:, v: or i: and the text.</summary>
    public string Encode() => Kind switch
    {
        PathElementKind.Field => "f:" + Text,
        PathElementKind.Key => "k:" + Text,
        PathElementKind.Value => "v:" + Text,
        _ => "i:" + Text,
    };

    public static PathElement Decode(string encoded)
    {
        if (encoded.Length < 2 || encoded[1] != ':')
            throw ApiException.BadRequest($"invalid fieldsV1 path element \"{encoded}\": expected f:, k:, v: or i:");
        var rest = encoded[2..];
        return encoded[0] switch
        {
            'f' => Field(rest),
            'k' => ParseJson(rest, encoded) is JsonObject key && key.Count > 0
                ? Key(key)
                : throw ApiException.BadRequest($"invalid fieldsV1 path element \"{encoded}\": a key must be a non-empty JSON object"),
            'v' => Value(ParseJson(rest, encoded)),
            'i' => int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
                ? Index(i)
                : throw ApiException.BadRequest($"invalid fieldsV1 path element \"{encoded}\": an index must be a non-negative integer"),
            _ => throw ApiException.BadRequest($"invalid fieldsV1 path element \"{encoded}\": expected f:, k:, v: or i:"),
        };
    }

    /// <summary>The key fields of a <see cref="PathElementKind.Key"/> element.</summary>
    public JsonObject KeyFields() => (JsonObject)JsonNode.Parse(Text)!;

    /// <summary>The value of a <see cref="PathElementKind.Value"/> element.</summary>
    public JsonNode? ValueNode() => JsonNode.Parse(Text);

    /// <summary>The structured-merge-diff spelling used in conflict messages: .name, [name="x"], [=x], [0].</summary>
    public override string ToString() => Kind switch
    {
        PathElementKind.Field => "." + Text,
        PathElementKind.Key => "[" + string.Join(",", KeyFields().Select(p => $"{p.Key}={JsonTree.CanonicalJson(p.Value)}")) + "]",
        PathElementKind.Value => "[=" + Text + "]",
        _ => "[" + Text + "]",
    };

    private static JsonNode? ParseJson(string json, string encoded)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"invalid fieldsV1 path element \"{encoded}\": {e.Message}");
        }
    }
}

/// <summary>An immutable path from an object's root to one of its fields or list items.</summary>
internal sealed class FieldPath : IEquatable<FieldPath>
{
    public static readonly FieldPath Root = new([]);

    private readonly PathElement[] _elements;
    private readonly int _hash;

    private FieldPath(PathElement[] elements)
    {
        _elements = elements;
        var hash = new HashCode();
        foreach (var e in elements)
            hash.Add(e);
        _hash = hash.ToHashCode();
    }

    public IReadOnlyList<PathElement> Elements => _elements;
    public int Length => _elements.Length;
    public bool IsRoot => _elements.Length == 0;
    public PathElement Last => _elements[^1];
    public FieldPath Parent => new(_elements[..^1]);

    public FieldPath Append(PathElement element) => new([.. _elements, element]);
    public FieldPath Field(string name) => Append(PathElement.Field(name));

    /// <summary>True when this path is <paramref name="other"/> or one of its ancestors.</summary>
    public bool IsPrefixOf(FieldPath other) =>
        other._elements.Length >= _elements.Length && other._elements.AsSpan(0, _elements.Length).SequenceEqual(_elements);

    /// <summary>
    /// The schema position, ignoring which item of a list: field names joined by dots, "[]" for any list item
    /// (spec.containers[].env). This is what <see cref="PatchSchema"/> tables are keyed by.
    /// </summary>
    public string Pattern()
    {
        var sb = new StringBuilder();
        foreach (var e in _elements)
        {
            if (e.Kind == PathElementKind.Field)
                sb.Append(sb.Length == 0 ? "" : ".").Append(e.Text);
            else
                sb.Append("[]");
        }
        return sb.ToString();
    }

    public override string ToString() => string.Concat(_elements.Select(e => e.ToString()));
    public bool Equals(FieldPath? other) => other is not null && _hash == other._hash && _elements.AsSpan().SequenceEqual(other._elements);
    public override bool Equals(object? obj) => Equals(obj as FieldPath);
    public override int GetHashCode() => _hash;
}

/// <summary>Walking, comparing and serialising JSON trees; every patch kind goes through these.</summary>
internal static class JsonTree
{
    /// <summary>
    /// Steps from <paramref name="node"/> to the child <paramref name="element"/> names. False when there is
    /// none; a present JSON null comes back as true with a null child.
    /// </summary>
    public static bool TryStep(JsonNode? node, PathElement element, out JsonNode? child)
    {
        child = null;
        switch (node, element.Kind)
        {
            case (JsonObject obj, PathElementKind.Field):
                return obj.TryGetPropertyValue(element.Text, out child);
            case (JsonArray array, PathElementKind.Index):
                var i = int.Parse(element.Text, CultureInfo.InvariantCulture);
                if (i >= array.Count)
                    return false;
                child = array[i];
                return true;
            case (JsonArray array, PathElementKind.Key or PathElementKind.Value):
                var at = IndexOf(array, element);
                if (at < 0)
                    return false;
                child = array[at];
                return true;
            default:
                return false;
        }
    }

    public static bool TryResolve(JsonNode? root, FieldPath path, out JsonNode? value)
    {
        value = root;
        foreach (var e in path.Elements)
        {
            if (!TryStep(value, e, out value))
                return false;
        }
        return true;
    }

    /// <summary>Detaches and returns the child <paramref name="element"/> names; false when there is none.</summary>
    public static bool TryRemoveChild(JsonNode? container, PathElement element, out JsonNode? removed)
    {
        removed = null;
        if (!TryStep(container, element, out removed))
            return false;
        switch (container)
        {
            case JsonObject obj:
                obj.Remove(element.Text);
                return true;
            case JsonArray array:
                array.RemoveAt(element.Kind == PathElementKind.Index
                    ? int.Parse(element.Text, CultureInfo.InvariantCulture)
                    : IndexOf(array, element));
                return true;
            default:
                return false;
        }
    }

    /// <summary>Removes the node at <paramref name="path"/> from <paramref name="root"/>; false when absent.</summary>
    public static bool Remove(JsonNode root, FieldPath path) =>
        !path.IsRoot && TryResolve(root, path.Parent, out var parent) && TryRemoveChild(parent, path.Last, out _);

    /// <summary>
    /// Turns an RFC 6901 token into the step it means for <paramref name="container"/>: a member name for an
    /// object, a position for an array. Null when the token cannot name anything there.
    /// </summary>
    public static PathElement? PointerStep(JsonNode? container, string token) => container switch
    {
        JsonObject => PathElement.Field(token),
        JsonArray when TryParseArrayIndex(token, out var i) => PathElement.Index(i),
        _ => null,
    };

    /// <summary>Walks RFC 6901 tokens; false when a token does not name an existing node.</summary>
    public static bool TryResolvePointer(JsonNode? root, IEnumerable<string> tokens, out JsonNode? value)
    {
        value = root;
        foreach (var token in tokens)
        {
            if (PointerStep(value, token) is not { } step || !TryStep(value, step, out value))
                return false;
        }
        return true;
    }

    /// <summary>RFC 6901 array index: decimal digits without leading zeros.</summary>
    public static bool TryParseArrayIndex(string token, out int index)
    {
        index = -1;
        if (token.Length == 0 || (token.Length > 1 && token[0] == '0') || !token.All(char.IsAsciiDigit))
            return false;
        return int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    /// <summary>Position of the list item a key or value element names, or -1.</summary>
    public static int IndexOf(JsonArray array, PathElement element)
    {
        if (element.Kind == PathElementKind.Value)
        {
            var value = element.ValueNode();
            return IndexOf(array, item => ValueEquals(item, value));
        }
        var key = element.KeyFields();
        return IndexOf(array, item => item is JsonObject obj && MatchesKey(obj, key));
    }

    public static int IndexOf(JsonArray array, Func<JsonNode?, bool> match)
    {
        for (var i = 0; i < array.Count; i++)
        {
            if (match(array[i]))
                return i;
        }
        return -1;
    }

    /// <summary>True when <paramref name="item"/> has every key field with an equal value.</summary>
    public static bool MatchesKey(JsonObject item, JsonObject key) =>
        key.All(k => item.TryGetPropertyValue(k.Key, out var v) && ValueEquals(v, k.Value));

    /// <summary>JSON equality: same structure, numbers by value, object member order ignored.</summary>
    public static bool ValueEquals(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    /// <summary>Compact JSON with object members sorted, so equal values have equal text.</summary>
    public static string CanonicalJson(JsonNode? node) => Sorted(node)?.ToJsonString(Relaxed) ?? "null";

    // Escape only what JSON requires, as Go's encoder does for fieldsV1 keys ("a+b", not "a\u002Bb").
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>"JSON object", "JSON array", "string", ... for error messages.</summary>
    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "a JSON object",
        JsonArray => "a JSON array",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            _ => "a boolean",
        },
    };

    /// <summary>The API group of an apiVersion: "" for "v1", "apps" for "apps/v1".</summary>
    public static string GroupOf(string apiVersion)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? "" : apiVersion[..slash];
    }

    /// <summary>A string member of an object, or null when absent or not a string.</summary>
    public static string? GetString(JsonObject? obj, string name) =>
        obj is not null && obj.TryGetPropertyValue(name, out var v) ? AsString(v) : null;

    /// <summary>The string a node holds, or null when it is not a JSON string.</summary>
    public static string? AsString(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Sorted)]),
        _ => node?.DeepClone(),
    };
}
