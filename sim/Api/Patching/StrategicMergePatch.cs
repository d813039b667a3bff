using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Patching;

/// <summary>
/// Kubernetes strategic merge patch (<c>application/strategic-merge-patch+json</c>, kubectl's default for
/// built-in kinds): a merge patch whose lists merge by the merge key Kubernetes declares for them (see
/// <see cref="PatchSchema"/>), with the directives <c>$patch: replace|delete|merge</c>, <c>$retainKeys</c>,
/// <c>$deleteFromPrimitiveList/&lt;field&gt;</c> and <c>$setElementOrder/&lt;field&gt;</c>. Directives are
/// honoured and never stored. Lists the table does not know are replaced, as for CRDs.
/// </summary>
internal static class StrategicMergePatch
{
    /// <summary>Returns a new object with <paramref name="patch"/> merged in; the target is not changed.</summary>
    /// <param name="group">API group of the kind ("" for core, "apps", "batch", ...).</param>
    /// <param name="kind">The kind, e.g. "Pod", "Deployment".</param>
    /// <exception cref="ApiException">400 BadRequest for a malformed patch: not an object, an unknown
    /// <c>$patch</c> value, a keyed list item without its merge key, a directive of the wrong shape.</exception>
    public static JsonObject Apply(JsonObject target, JsonNode patch, string group, string kind)
    {
        if (patch is not JsonObject patchObject)
            throw ApiException.BadRequest($"a strategic merge patch must be a JSON object, got {JsonTree.Describe(patch)}");
        var merge = new StructuralMerge(PatchSchema.For(group, kind), directives: true);
        return merge.MergeObject(target, patchObject, FieldPath.Root)
            ?? throw ApiException.BadRequest("a strategic merge patch cannot delete the whole object ($patch: delete at the root); send a DELETE instead");
    }
}
