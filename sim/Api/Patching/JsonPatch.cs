using System.Globalization;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Patching;

/// <summary>
/// RFC 6902 JSON patch (<c>application/json-patch+json</c>): add, remove, replace, move, copy and test
/// operations addressed by RFC 6901 pointers. All or nothing: the operations run on a copy, and any failure
/// leaves the target as it was.
/// </summary>
internal static class JsonPatch
{
    private sealed record Operation(int Index, string Op, string Path, IReadOnlyList<string> Tokens, IReadOnlyList<string>? From, string? FromText, JsonNode? Value);

    /// <summary>Returns a new object with the operations applied; the target is not changed.</summary>
    /// <exception cref="ApiException">400 BadRequest when the patch document is malformed (not an array of
    /// operations, unknown op, missing member, bad pointer syntax); 422 Invalid when an operation does not
    /// apply to this object (a path that does not exist, a failed test, a bad array index), naming the path.</exception>
    public static JsonObject Apply(JsonObject target, JsonNode patch)
    {
        if (patch is not JsonArray operations)
            throw ApiException.BadRequest($"a JSON patch must be a JSON array of operations, got {JsonTree.Describe(patch)}");
        // Read every operation before applying any, so a malformed document fails as a whole with 400.
        var parsed = operations.Select(Parse).ToList();

        JsonNode? document = target.DeepClone();
        foreach (var op in parsed)
            document = Execute(document, op);
        return document as JsonObject
            ?? throw ApiException.Invalid($"the patched document must be a JSON object, got {JsonTree.Describe(document)}");
    }

    private static Operation Parse(JsonNode? node, int index)
    {
        if (node is not JsonObject obj)
            throw ApiException.BadRequest($"JSON patch operation {index} must be a JSON object, got {JsonTree.Describe(node)}");
        var op = RequiredString(obj, "op", index);
        var path = RequiredString(obj, "path", index);
        string? from = null;
        JsonNode? value = null;
        switch (op)
        {
            case "add" or "replace" or "test":
                if (!obj.TryGetPropertyValue("value", out value))
                    throw ApiException.BadRequest($"JSON patch operation {index} ({op} {path}) is missing \"value\"");
                break;
            case "move" or "copy":
                from = RequiredString(obj, "from", index);
                break;
            case "remove":
                break;
            default:
                throw ApiException.BadRequest($"JSON patch operation {index} has unknown op \"{op}\": expected add, remove, replace, move, copy or test");
        }
        return new Operation(index, op, path, JsonPointer.Parse(path), from is null ? null : JsonPointer.Parse(from), from, value);
    }

    private static string RequiredString(JsonObject obj, string member, int index) =>
        JsonTree.GetString(obj, member)
        ?? throw ApiException.BadRequest($"JSON patch operation {index} needs a string \"{member}\", got {(obj.TryGetPropertyValue(member, out var v) ? JsonTree.Describe(v) : "none")}");

    private static JsonNode? Execute(JsonNode? document, Operation op)
    {
        switch (op.Op)
        {
            case "add":
                return Add(document, op.Tokens, op.Value?.DeepClone(), op);
            case "remove":
                Remove(document, op.Tokens, op.Path, op);
                return document;
            case "replace":
                Get(document, op.Tokens, op.Path, op);
                if (op.Tokens.Count == 0)
                    return op.Value?.DeepClone();
                // Set in place, so an object keeps its member order and an array item its position.
                JsonTree.TryResolvePointer(document, op.Tokens.Take(op.Tokens.Count - 1), out var parent);
                if (parent is JsonObject obj)
                    obj[op.Tokens[^1]] = op.Value?.DeepClone();
                else
                    ((JsonArray)parent!)[int.Parse(op.Tokens[^1], CultureInfo.InvariantCulture)] = op.Value?.DeepClone();
                return document;
            case "move":
                if (op.FromText == op.Path)
                {
                    Get(document, op.From!, op.FromText!, op);
                    return document;
                }
                if (op.From!.Count < op.Tokens.Count && op.From.SequenceEqual(op.Tokens.Take(op.From.Count)))
                    throw Fail(op, $"cannot move \"{op.FromText}\" into its own child \"{op.Path}\"");
                if (op.From.Count == 0)
                    throw Fail(op, "cannot move the whole document");
                var moved = Remove(document, op.From, op.FromText!, op);
                return Add(document, op.Tokens, moved, op);
            case "copy":
                var copied = Get(document, op.From!, op.FromText!, op);
                return Add(document, op.Tokens, copied?.DeepClone(), op);
            default: // test
                var actual = Get(document, op.Tokens, op.Path, op);
                if (!JsonTree.ValueEquals(actual, op.Value))
                    throw Fail(op, $"test failed at \"{op.Path}\": expected {Show(op.Value)}, found {Show(actual)}");
                return document;
        }
    }

    private static JsonNode? Get(JsonNode? document, IReadOnlyList<string> tokens, string pointer, Operation op) =>
        JsonTree.TryResolvePointer(document, tokens, out var value) ? value : throw Missing(op, pointer);

    // RFC 6902 add: into an object sets the member; into an array inserts before the index, "-" appends.
    private static JsonNode? Add(JsonNode? document, IReadOnlyList<string> tokens, JsonNode? value, Operation op)
    {
        if (tokens.Count == 0)
            return value;
        var parentTokens = tokens.Take(tokens.Count - 1).ToList();
        if (!JsonTree.TryResolvePointer(document, parentTokens, out var parent))
            throw Missing(op, JsonPointer.Format(parentTokens));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject obj:
                obj[last] = value;
                break;
            case JsonArray array when last == "-":
                array.Add(value);
                break;
            case JsonArray array:
                if (!JsonTree.TryParseArrayIndex(last, out var index) || index > array.Count)
                    throw Fail(op, $"invalid array index \"{last}\" at \"{op.Path}\": the array has {array.Count} item(s)");
                array.Insert(index, value);
                break;
            default:
                throw Fail(op, $"cannot add \"{op.Path}\": its parent is {JsonTree.Describe(parent)}, not an object or array");
        }
        return document;
    }

    private static JsonNode? Remove(JsonNode? document, IReadOnlyList<string> tokens, string pointer, Operation op)
    {
        if (tokens.Count == 0)
            throw Fail(op, "cannot remove the whole document");
        var parentTokens = tokens.Take(tokens.Count - 1);
        if (!JsonTree.TryResolvePointer(document, parentTokens, out var parent)
            || JsonTree.PointerStep(parent, tokens[^1]) is not { } step
            || !JsonTree.TryRemoveChild(parent, step, out var removed))
            throw Missing(op, pointer);
        return removed;
    }

    private static ApiException Missing(Operation op, string pointer) =>
        Fail(op, $"doc is missing path: \"{pointer}\"");

    private static ApiException Fail(Operation op, string problem) =>
        ApiException.Invalid($"JSON patch operation {op.Index} ({op.Op} {op.Path}) does not apply: {problem}");

    private static string Show(JsonNode? node) => node?.ToJsonString() ?? "null";
}
