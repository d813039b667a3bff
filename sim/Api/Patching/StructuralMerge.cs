using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Patching;

/// <summary>
/// The merge all three merging patch kinds share: objects merge member by member, a null deletes, lists
/// follow <see cref="PatchSchema"/> (replaced, merged by key, or merged as a set), anything else replaces.
/// JSON merge patch is this with an empty schema, arrays copied verbatim and no directives; strategic merge
/// patch adds the <c>$patch</c>-style directives; server-side apply merges the applied configuration with
/// directives off, replacing the objects the schema calls atomic. Inputs are never mutated: every node in a result is new.
/// </summary>
internal sealed class StructuralMerge(PatchSchema schema, bool directives)
{
    private const string PatchDirective = "$patch";
    private const string RetainKeysDirective = "$retainKeys";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";
    private const string SetElementOrderPrefix = "$setElementOrder/";

    /// <summary>Merges <paramref name="patch"/> into <paramref name="original"/>; null when the patch deletes the object.</summary>
    public JsonObject? MergeObject(JsonObject? original, JsonObject patch, FieldPath path)
    {
        if (directives && patch.TryGetPropertyValue(PatchDirective, out var directive))
        {
            switch (DirectiveValue(directive, path))
            {
                case "delete":
                    return null;
                case "replace":
                    original = null;
                    break;
                case "merge":
                    break;
                case var other:
                    throw ApiException.BadRequest($"unknown patch directive \"$patch: {other}\" at {Where(path)}: expected replace, delete or merge");
            }
        }

        var result = new JsonObject();
        if (original is not null)
        {
            foreach (var (key, value) in original)
                result[key] = value?.DeepClone();
        }

        if (directives)
            ApplyDeleteFromPrimitiveList(result, patch, path);

        foreach (var (key, patchValue) in patch)
        {
            if (directives && IsDirective(key))
                continue;
            if (patchValue is null)
            {
                result.Remove(key);
                continue;
            }
            result.TryGetPropertyValue(key, out var current);
            var merged = MergeValue(current, patchValue, path.Field(key));
            if (merged.Deleted)
                result.Remove(key);
            else
                result[key] = merged.Value;
        }

        if (directives)
        {
            ApplyRetainKeys(result, patch, path);
            ApplySetElementOrder(result, patch, path);
        }
        return result;
    }

    private readonly record struct Merged(JsonNode? Value, bool Deleted);

    private Merged MergeValue(JsonNode? current, JsonNode patchValue, FieldPath path)
    {
        switch (patchValue)
        {
            case JsonObject patchObject when !directives && schema.IsAtomicObject(path):
                return new Merged(patchObject.DeepClone(), false);
            case JsonObject patchObject:
                var merged = MergeObject(current as JsonObject, patchObject, path);
                return new Merged(merged, merged is null);
            case JsonArray patchArray:
                return new Merged(MergeList(current as JsonArray, patchArray, path), false);
            default:
                return new Merged(patchValue.DeepClone(), false);
        }
    }

    private JsonArray MergeList(JsonArray? current, JsonArray patch, FieldPath path)
    {
        if (directives && patch.Any(item => item is JsonObject o && o.TryGetPropertyValue(PatchDirective, out var d) && DirectiveValue(d, path) == "replace"))
        {
            // {"$patch": "replace"} among the items: the other items are the whole new list.
            var rest = patch.Where(item => item is not JsonObject o || !o.ContainsKey(PatchDirective));
            return new JsonArray([.. rest.Select((item, i) => Fresh(item, path.Append(PathElement.Index(i))))]);
        }

        var strategy = schema.ListAt(path);
        return strategy.Type switch
        {
            ListType.Map => MergeByKey(current, patch, strategy.MergeKey!, path),
            ListType.Set => MergeSet(current, patch, path),
            _ => new JsonArray([.. patch.Select((item, i) => Fresh(item, path.Append(PathElement.Index(i))))]),
        };
    }

    private JsonArray MergeByKey(JsonArray? current, JsonArray patch, string mergeKey, FieldPath path)
    {
        var items = current?.Select(item => item?.DeepClone()).ToList() ?? [];
        foreach (var patchItem in patch)
        {
            if (patchItem is not JsonObject patchObject)
                throw ApiException.BadRequest($"{Where(path)} is merged by key \"{mergeKey}\", so its items must be objects, got {JsonTree.Describe(patchItem)}");
            if (!patchObject.TryGetPropertyValue(mergeKey, out var keyValue) || keyValue is null)
                throw ApiException.BadRequest($"map: {patchObject.ToJsonString()} does not contain declared merge key: {mergeKey} (at {Where(path)})");

            var key = new JsonObject { [mergeKey] = keyValue.DeepClone() };
            var at = items.FindIndex(item => item is JsonObject obj && JsonTree.MatchesKey(obj, key));
            var itemPath = path.Append(PathElement.Key(key));
            var merged = MergeObject(at >= 0 ? items[at] as JsonObject : null, patchObject, itemPath);
            if (merged is null)
            {
                if (at >= 0)
                    items.RemoveAt(at);
            }
            else if (at >= 0)
            {
                items[at] = merged;
            }
            else
            {
                items.Add(merged);
            }
        }
        return new JsonArray([.. items]);
    }

    private JsonArray MergeSet(JsonArray? current, JsonArray patch, FieldPath path)
    {
        var items = current?.Select(item => item?.DeepClone()).ToList() ?? [];
        foreach (var patchItem in patch)
        {
            if (patchItem is JsonObject or JsonArray)
                throw ApiException.BadRequest($"{Where(path)} is a set of primitive values, got {JsonTree.Describe(patchItem)}");
            if (!items.Any(item => JsonTree.ValueEquals(item, patchItem)))
                items.Add(patchItem?.DeepClone());
        }
        return new JsonArray([.. items]);
    }

    // A patch value placed where nothing is merged into it: copied, minus directives (and minus nulls inside
    // objects, which delete nothing there). JSON merge patch copies arrays verbatim, as RFC 7386 says.
    private JsonNode? Fresh(JsonNode? node, FieldPath path) => node switch
    {
        JsonObject obj when directives => MergeObject(null, obj, path),
        _ => node?.DeepClone(),
    };

    private void ApplyDeleteFromPrimitiveList(JsonObject result, JsonObject patch, FieldPath path)
    {
        foreach (var (key, value) in patch)
        {
            if (!key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal))
                continue;
            var field = key[DeleteFromPrimitiveListPrefix.Length..];
            if (value is not JsonArray toDelete)
                throw ApiException.BadRequest($"{key} at {Where(path)} must be a list of values, got {JsonTree.Describe(value)}");
            if (result[field] is JsonArray list)
                result[field] = new JsonArray([.. list.Where(item => !toDelete.Any(d => JsonTree.ValueEquals(d, item))).Select(item => item?.DeepClone())]);
        }
    }

    private static void ApplyRetainKeys(JsonObject result, JsonObject patch, FieldPath path)
    {
        if (!patch.TryGetPropertyValue(RetainKeysDirective, out var value))
            return;
        if (value is not JsonArray retain || retain.Any(k => JsonTree.AsString(k) is null))
            throw ApiException.BadRequest($"$retainKeys at {Where(path)} must be a list of field names, got {value?.ToJsonString() ?? "null"}");
        var keep = retain.Select(k => JsonTree.AsString(k)!).ToHashSet(StringComparer.Ordinal);
        var unlisted = patch.Select(p => p.Key).FirstOrDefault(k => !IsDirective(k) && !keep.Contains(k));
        if (unlisted is not null)
            throw ApiException.BadRequest($"$retainKeys at {Where(path)} does not list \"{unlisted}\", which the patch sets");
        foreach (var key in result.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
            result.Remove(key);
    }

    // Simplification: items the order names come first, in its order; the others follow in their present order.
    private static void ApplySetElementOrder(JsonObject result, JsonObject patch, FieldPath path)
    {
        foreach (var (key, value) in patch)
        {
            if (!key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
                continue;
            if (value is not JsonArray order)
                throw ApiException.BadRequest($"{key} at {Where(path)} must be a list, got {JsonTree.Describe(value)}");
            var field = key[SetElementOrderPrefix.Length..];
            if (result[field] is not JsonArray list)
                continue;
            int Rank(JsonNode? item)
            {
                var rank = JsonTree.IndexOf(order, o => o is JsonObject keyFields && item is JsonObject obj && keyFields.Count > 0
                    ? JsonTree.MatchesKey(obj, keyFields)
                    : JsonTree.ValueEquals(o, item));
                return rank < 0 ? int.MaxValue : rank;
            }
            var sorted = list.Select(item => item?.DeepClone()).OrderBy(Rank).ToList(); // OrderBy is stable
            result[field] = new JsonArray([.. sorted]);
        }
    }

    private static bool IsDirective(string key) =>
        key == PatchDirective || key == RetainKeysDirective
        || key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal)
        || key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal);

    private static string DirectiveValue(JsonNode? directive, FieldPath path) =>
        JsonTree.AsString(directive)
        ?? throw ApiException.BadRequest($"$patch at {Where(path)} must be a string, got {JsonTree.Describe(directive)}");

    private static string Where(FieldPath path) => path.IsRoot ? "the object's root" : path.ToString();
}
