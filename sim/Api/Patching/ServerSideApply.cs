using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Patching;

/// <summary>The outcome of a server-side apply: the object to store (its managedFields already set).</summary>
/// <param name="Object">The new object, <c>metadata.managedFields</c> included.</param>
/// <param name="ManagedFields">The same managedFields, separately, for callers that store them elsewhere.</param>
/// <param name="Created">True when there was no live object, so the apply creates one.</param>
internal sealed record ApplyResult(JsonObject Object, JsonArray ManagedFields, bool Created);

/// <summary>
/// Server-side apply (<c>application/apply-patch+yaml</c>) and the field ownership ordinary writes record,
/// in the shape of kube-apiserver's <c>metadata.managedFields</c>.
/// </summary>
/// <remarks>
/// A faithful simplification of structured-merge-diff. Simplified: list semantics come from
/// <see cref="PatchSchema"/> (one merge key per list, so container ports are keyed by containerPort alone
/// rather than containerPort+protocol); objects are granular structs except the few atomic ones the table
/// names (workload selectors), and only maps such as labels are tracked as maps; a null in an applied configuration removes the field; managers are identified by
/// name and operation (not also by apiVersion); a field a manager stops applying is removed unless another
/// manager owns it or anything below it, and objects left empty by that removal are removed too.
/// The object's metadata other than labels, annotations, finalizers and ownerReferences is never tracked;
/// nor are apiVersion and kind.
/// </remarks>
internal static class ServerSideApply
{
    /// <summary>The field manager <c>kubectl apply</c> (client-side) writes as.</summary>
    public const string ClientSideApplyManager = "kubectl-client-side-apply";

    /// <summary>The manager that owns an object's fields when it is first applied to without managedFields.</summary>
    public const string BeforeFirstApplyManager = "before-first-apply";

    /// <summary>
    /// Applies <paramref name="applied"/> (a partial object: the fields its manager has opinions about) to
    /// <paramref name="live"/> (null: the apply creates the object).
    /// </summary>
    /// <exception cref="ApiException">400 BadRequest without a field manager, apiVersion or kind, or when the
    /// configuration sets managedFields; 409 Conflict when another manager owns a field the configuration
    /// sets to a different value and <paramref name="force"/> is false, listing the fields and managers.</exception>
    public static ApplyResult Apply(JsonObject? live, JsonObject applied, string fieldManager, bool force, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(fieldManager))
            throw ApiException.BadRequest("fieldManager is required for apply requests");
        var apiVersion = JsonTree.GetString(applied, "apiVersion");
        var kind = JsonTree.GetString(applied, "kind");
        if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind))
            throw ApiException.BadRequest("the applied configuration must set apiVersion and kind");
        if (applied["metadata"] is JsonObject appliedMetadata && appliedMetadata["managedFields"] is not null)
            throw ApiException.BadRequest("metadata.managedFields must be nil in an applied configuration");
        if (live is not null && JsonTree.GetString(live, "kind") is { } liveKind && liveKind != kind)
            throw ApiException.BadRequest($"the applied configuration is a {kind}, but the object is a {liveKind}");

        var schema = PatchSchema.For(JsonTree.GroupOf(apiVersion), kind);
        var entries = ManagedFields.Read(live);
        if (live is not null && entries.Count == 0)
        {
            // As kube-apiserver does: fields of an object nobody has been recorded for belong to a placeholder
            // manager, so a first apply conflicts with values it did not set.
            entries.Add(new ManagedFieldsEntry
            {
                Manager = BeforeFirstApplyManager,
                Operation = "Update",
                ApiVersion = JsonTree.GetString(live, "apiVersion") ?? apiVersion,
                Time = ManagedFields.FormatTime(now),
                Fields = FieldSet.Of(live, schema, withFreeFormMaps: true),
            });
        }
        var mine = entries.FirstOrDefault(e => e.Is(fieldManager, "Apply"));
        var others = entries.Where(e => e != mine).ToList();
        var appliedSet = FieldSet.Of(applied, schema);

        var conflicts = live is null ? [] : FindConflicts(live, applied, appliedSet, others, schema);
        if (conflicts.Count > 0 && !force)
            throw ConflictError(conflicts);
        foreach (var owner in conflicts.GroupBy(c => c.Owner))
            owner.Key.Fields = owner.Key.Fields.Except(owner.Select(c => c.Path));

        var result = (JsonObject?)live?.DeepClone() ?? new JsonObject();
        (result["metadata"] as JsonObject)?.Remove("managedFields");
        if (mine is not null)
            RemoveDropped(result, mine.Fields.Except(appliedSet), others);
        var merged = new StructuralMerge(schema, directives: false).MergeObject(result, applied, FieldPath.Root)!;

        if (mine is null)
        {
            mine = new ManagedFieldsEntry { Manager = fieldManager, Operation = "Apply", ApiVersion = apiVersion, Fields = appliedSet };
            entries.Add(mine);
        }
        mine.Fields = appliedSet;
        mine.ApiVersion = apiVersion;
        mine.Time = ManagedFields.FormatTime(now);
        DropVanished(entries, merged);

        var managedFields = ManagedFields.Write(entries);
        if (merged["metadata"] is not JsonObject metadata)
            merged["metadata"] = metadata = new JsonObject();
        metadata["managedFields"] = managedFields.DeepClone();
        return new ApplyResult(merged, managedFields, live is null);
    }

    /// <summary>
    /// The managedFields after an ordinary write (create, update, patch) by <paramref name="manager"/>: the
    /// fields it added or changed become its own and stop being anyone else's; fields that no longer exist
    /// stop being anyone's. The previous ownership is <paramref name="newObj"/>'s managedFields when it carries
    /// them, else <paramref name="oldObj"/>'s. Nothing is mutated; the caller stores the result at
    /// <c>metadata.managedFields</c>.
    /// </summary>
    /// <param name="oldObj">The object before the write; null for a create.</param>
    /// <param name="operation">"Update" for creates, updates and patches; "Apply" for an apply recorded this way.</param>
    /// <param name="subresource">The subresource written through ("status", "scale"), recorded in the entry as
    /// kube-apiserver does; null for the main resource.</param>
    public static JsonArray RecordUpdate(JsonObject? oldObj, JsonObject newObj, string manager, string operation, DateTimeOffset now, string? subresource = null)
    {
        if (string.IsNullOrWhiteSpace(manager))
            throw ApiException.BadRequest("a field manager name is required");
        if (operation is not ("Update" or "Apply"))
            throw new ArgumentException($"operation must be \"Update\" or \"Apply\", got \"{operation}\"", nameof(operation));

        var apiVersion = JsonTree.GetString(newObj, "apiVersion") ?? JsonTree.GetString(oldObj, "apiVersion") ?? "";
        var kind = JsonTree.GetString(newObj, "kind") ?? JsonTree.GetString(oldObj, "kind") ?? "";
        var schema = PatchSchema.For(JsonTree.GroupOf(apiVersion), kind);
        var carriesOwn = newObj["metadata"] is JsonObject m && m["managedFields"] is not null;
        var entries = ManagedFields.Read(carriesOwn ? newObj : oldObj);

        var oldSet = oldObj is null ? new FieldSet() : FieldSet.Of(oldObj, schema, withFreeFormMaps: true);
        var newSet = FieldSet.Of(newObj, schema, withFreeFormMaps: true);
        var changed = newSet.Where(p => !oldSet.Contains(p) || Differs(oldObj!, newObj, p, schema));

        var mine = entries.FirstOrDefault(e => e.Is(manager, operation, subresource));
        foreach (var other in entries.Where(e => e != mine))
            other.Fields = other.Fields.Except(changed);
        if (!changed.IsEmpty)
        {
            if (mine is null)
            {
                mine = new ManagedFieldsEntry { Manager = manager, Operation = operation, ApiVersion = apiVersion, Subresource = subresource, Fields = new FieldSet() };
                entries.Add(mine);
            }
            mine.Fields = mine.Fields.Union(changed);
            mine.ApiVersion = apiVersion;
            mine.Time = ManagedFields.FormatTime(now);
        }
        DropVanished(entries, newObj);
        return ManagedFields.Write(entries);
    }

    private static List<(ManagedFieldsEntry Owner, FieldPath Path)> FindConflicts(
        JsonObject live, JsonObject applied, FieldSet appliedSet, List<ManagedFieldsEntry> others, PatchSchema schema)
    {
        var conflicts = new List<(ManagedFieldsEntry, FieldPath)>();
        foreach (var other in others)
        {
            foreach (var path in other.Fields.Intersect(appliedSet).OrderBy(p => p.ToString(), StringComparer.Ordinal))
            {
                if (Differs(live, applied, path, schema))
                    conflicts.Add((other, path));
            }
        }
        return conflicts;
    }

    // Whether two objects disagree at a path both own as a member. List items named by key or value are the
    // same item by definition, and a map both hold is decided by its members, not as a whole (unless atomic).
    private static bool Differs(JsonObject a, JsonObject b, FieldPath path, PatchSchema schema)
    {
        if (path.Last.Kind is PathElementKind.Key or PathElementKind.Value)
            return false;
        if (!JsonTree.TryResolve(a, path, out var av) || !JsonTree.TryResolve(b, path, out var bv))
            return false;
        if (av is JsonObject { Count: > 0 } && bv is JsonObject { Count: > 0 } && !schema.IsAtomicObject(path))
            return false;
        return !JsonTree.ValueEquals(av, bv);
    }

    private static void RemoveDropped(JsonObject obj, FieldSet dropped, List<ManagedFieldsEntry> others)
    {
        foreach (var path in dropped.OrderBy(p => p.Length))
        {
            if (others.Any(o => o.Fields.ContainsOrBelow(path)) || IsKeyOfKeptItem(path))
                continue;
            if (!JsonTree.Remove(obj, path))
                continue;
            // Objects the removal emptied go too, unless someone owns them as such.
            var parent = path.Parent;
            while (parent.Length > 1 && parent.Last.Kind == PathElementKind.Field
                   && JsonTree.TryResolve(obj, parent, out var node) && node is JsonObject { Count: 0 }
                   && !others.Any(o => o.Fields.Contains(parent)))
            {
                JsonTree.Remove(obj, parent);
                parent = parent.Parent;
            }
        }
    }

    // A keyed item's key field cannot go while the item stays (it stays when someone else owns part of it).
    private static bool IsKeyOfKeptItem(FieldPath path) =>
        path.Length >= 2 && path.Last.Kind == PathElementKind.Field
        && path.Elements[^2].Kind == PathElementKind.Key && path.Elements[^2].KeyFields().ContainsKey(path.Last.Text);

    private static void DropVanished(List<ManagedFieldsEntry> entries, JsonObject obj)
    {
        foreach (var entry in entries)
            entry.Fields = entry.Fields.Where(p => JsonTree.TryResolve(obj, p, out _));
    }

    private static ApiException ConflictError(List<(ManagedFieldsEntry Owner, FieldPath Path)> conflicts)
    {
        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {conflicts[0].Owner.Describe()}: {conflicts[0].Path}";
        }
        else
        {
            var lines = conflicts.GroupBy(c => c.Owner.Describe()).OrderBy(g => g.Key, StringComparer.Ordinal)
                .SelectMany(g => g.Select(c => $"- {c.Path}").Prepend($"conflicts with {g.Key}:"));
            message = $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
        }
        var causes = new JsonArray([.. conflicts.Select(c => (JsonNode)new JsonObject
        {
            ["reason"] = "FieldManagerConflict",
            ["message"] = $"conflict with {c.Owner.Describe()}",
            ["field"] = c.Path.ToString(),
        })]);
        return new ApiException(409, "Conflict", message, new JsonObject { ["causes"] = causes });
    }
}
