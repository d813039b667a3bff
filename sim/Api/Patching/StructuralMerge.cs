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
            var merged = MergeValue(current, patchValue, path.Field(key), directives ? ElementOrder(patch, key, path) : null);
            if (merged.Deleted)
                result.Remove(key);
            else
                result[key] = merged.Value;
        }

        if (directives)
        {
            ApplyRetainKeys(result, patch, path);
            ReorderUnpatchedLists(result, patch, path);
        }
        return result;
    }

    private readonly record struct Merged(JsonNode? Value, bool Deleted);

    private Merged MergeValue(JsonNode? current, JsonNode patchValue, FieldPath path, JsonArray? order)
    {
        switch (patchValue)
        {
            case JsonObject patchObject when !directives && schema.IsAtomicObject(path):
                return new Merged(patchObject.DeepClone(), false);
            case JsonObject patchObject:
                var merged = MergeObject(current as JsonObject, patchObject, path);
                // As kube-apiserver does: "$patch: delete" empties a map that exists and adds none that does not.
                if (merged is null && current is JsonObject)
                    return new Merged(new JsonObject(), false);
                return new Merged(merged, merged is null);
            case JsonArray patchArray:
                return new Merged(MergeList(current as JsonArray, patchArray, path, order), false);
            default:
                return new Merged(patchValue.DeepClone(), false);
        }
    }

    private JsonArray MergeList(JsonArray? current, JsonArray patch, FieldPath path, JsonArray? order)
    {
        if (directives && patch.Any(item => item is JsonObject o && o.TryGetPropertyValue(PatchDirective, out var d) && DirectiveValue(d, path) == "replace"))
        {
            // {"$patch": "replace"} among the items: the other items are the whole new list.
            var rest = patch.Where(item => item is not JsonObject o || !o.ContainsKey(PatchDirective));
            return new JsonArray([.. rest.Select((item, i) => Fresh(item, path.Append(PathElement.Index(i))))]);
        }

        var strategy = schema.ListAt(path);
        var merged = strategy.Type switch
        {
            ListType.Map => MergeByKey(current, patch, strategy.MergeKey!, path, order),
            ListType.Set => MergeSet(current, patch, path, order),
            _ => [.. patch.Select((item, i) => Fresh(item, path.Append(PathElement.Index(i))))],
        };
        return new JsonArray([.. merged]);
    }

    private List<JsonNode?> MergeByKey(JsonArray? current, JsonArray patch, string mergeKey, FieldPath path, JsonArray? order)
    {
        JsonNode? KeyOf(JsonNode? item) => item is JsonObject o ? o[mergeKey] : null;

        var patchObjects = new List<JsonObject>();
        foreach (var patchItem in patch)
        {
            if (patchItem is not JsonObject patchObject)
                throw ApiException.BadRequest($"{Where(path)} is merged by key \"{mergeKey}\", so its items must be objects, got {JsonTree.Describe(patchItem)}");
            if (KeyOf(patchObject) is null)
                throw ApiException.BadRequest($"map: {patchObject.ToJsonString()} does not contain declared merge key: {mergeKey} (at {Where(path)})");
            patchObjects.Add(patchObject);
        }

        var items = current?.Select(item => item?.DeepClone()).ToList() ?? [];
        // Deletions first, as kube-apiserver does; what remains is the order the live list gives.
        var deletes = patchObjects.Where(p => directives && JsonTree.AsString(p[PatchDirective]) == "delete").ToList();
        items.RemoveAll(item => deletes.Any(d => JsonTree.ValueEquals(KeyOf(item), KeyOf(d))));
        var serverOrder = items.Select(KeyOf).ToList();

        var patchKeys = new List<JsonNode?>();
        foreach (var patchObject in patchObjects.Except(deletes))
        {
            var key = new JsonObject { [mergeKey] = KeyOf(patchObject)!.DeepClone() };
            var at = items.FindIndex(item => JsonTree.ValueEquals(KeyOf(item), key[mergeKey]));
            var merged = MergeObject(at >= 0 ? items[at] as JsonObject : null, patchObject, path.Append(PathElement.Key(key)));
            if (merged is null)
                continue;
            if (at >= 0)
                items[at] = merged;
            else
                items.Add(merged);
            patchKeys.Add(key[mergeKey]);
        }

        items = Normalize(items, KeyOf, patchKeys, serverOrder);
        return order is null ? items : Normalize(items, KeyOf, order.Select(KeyOf).ToList(), serverOrder);
    }

    private List<JsonNode?> MergeSet(JsonArray? current, JsonArray patch, FieldPath path, JsonArray? order)
    {
        var items = current?.Select(item => item?.DeepClone()).ToList() ?? [];
        var serverOrder = items.ToList();
        foreach (var patchItem in patch)
        {
            if (patchItem is JsonObject or JsonArray)
                throw ApiException.BadRequest($"{Where(path)} is a set of primitive values, got {JsonTree.Describe(patchItem)}");
            if (!items.Any(item => JsonTree.ValueEquals(item, patchItem)))
                items.Add(patchItem?.DeepClone());
        }
        items = Normalize(items, v => v, [.. patch], serverOrder);
        return order is null ? items : Normalize(items, v => v, [.. order], serverOrder);
    }

    // kube-apiserver's list order after a merge: the items the patch (or its $setElementOrder) names, in
    // that order, interleaved with the others in their live order; one of the others goes first only when it
    // came before the named item in the live list. A new item therefore lands before the remaining others.
    private static List<JsonNode?> Normalize(List<JsonNode?> items, Func<JsonNode?, JsonNode?> identity, List<JsonNode?> named, List<JsonNode?> serverOrder)
    {
        int IndexIn(List<JsonNode?> list, JsonNode? item) => list.FindIndex(x => JsonTree.ValueEquals(x, identity(item)));
        var patched = items.Where(i => IndexIn(named, i) >= 0).OrderBy(i => IndexIn(named, i)).ToList();
        var others = items.Where(i => IndexIn(named, i) < 0).ToList();

        var result = new List<JsonNode?>(items.Count);
        int a = 0, b = 0;
        while (a < others.Count || b < patched.Count)
        {
            if (b >= patched.Count)
            {
                result.Add(others[a++]);
                continue;
            }
            if (a >= others.Count)
            {
                result.Add(patched[b++]);
                continue;
            }
            var (left, right) = (IndexIn(serverOrder, others[a]), IndexIn(serverOrder, patched[b]));
            result.Add(left >= 0 && right >= 0 && left < right ? others[a++] : patched[b++]);
        }
        return result;
    }

    // The $setElementOrder list for a field, if the patch carries one.
    private static JsonArray? ElementOrder(JsonObject patch, string field, FieldPath path) =>
        patch.TryGetPropertyValue(SetElementOrderPrefix + field, out var order)
            ? order as JsonArray ?? throw ApiException.BadRequest($"{SetElementOrderPrefix}{field} at {Where(path)} must be a list, got {JsonTree.Describe(order)}")
            : null;

    // A fresh patch value placed where nothing is merged into it: copied, minus directives (and minus nulls
    // inside objects, which a typed server would drop). JSON merge patch copies arrays verbatim (RFC 7386).
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

    // $setElementOrder for a list the patch does not otherwise touch: reorder the live list.
    private void ReorderUnpatchedLists(JsonObject result, JsonObject patch, FieldPath path)
    {
        foreach (var key in patch.Select(p => p.Key).Where(k => k.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal)).ToList())
        {
            var field = key[SetElementOrderPrefix.Length..];
            var order = ElementOrder(patch, field, path)!;
            if (patch.ContainsKey(field) || result[field] is not JsonArray list)
                continue;
            var strategy = schema.ListAt(path.Field(field));
            Func<JsonNode?, JsonNode?> identity = strategy.Type == ListType.Map
                ? item => item is JsonObject o ? o[strategy.MergeKey!] : null
                : item => item;
            var items = list.Select(item => item?.DeepClone()).ToList();
            result[field] = new JsonArray([.. Normalize(items, identity, order.Select(identity).ToList(), items.ToList())]);
        }
    }

    private static void ApplyRetainKeys(JsonObject result, JsonObject patch, FieldPath path)
    {
        if (!patch.TryGetPropertyValue(RetainKeysDirective, out var value))
            return;
        if (value is not JsonArray retain || retain.Any(k => JsonTree.AsString(k) is null))
            throw ApiException.BadRequest($"$retainKeys at {Where(path)} must be a list of field names, got {value?.ToJsonString() ?? "null"}");
        var keep = retain.Select(k => JsonTree.AsString(k)!).ToHashSet(StringComparer.Ordinal);
        // A null deletes, so it needs no listing.
        var unlisted = patch.Where(p => p.Value is not null).Select(p => p.Key).FirstOrDefault(k => !IsDirective(k) && !keep.Contains(k));
        if (unlisted is not null)
            throw ApiException.BadRequest($"$retainKeys at {Where(path)} does not list \"{unlisted}\", which the patch sets");
        foreach (var key in result.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
            result.Remove(key);
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
