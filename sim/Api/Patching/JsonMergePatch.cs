using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Patching;

/// <summary>RFC 7386 JSON merge patch (<c>application/merge-patch+json</c>).</summary>
internal static class JsonMergePatch
{
    private static readonly StructuralMerge Merge = new(PatchSchema.Empty, directives: false);

    /// <summary>
    /// Returns a new object: <paramref name="patch"/>'s members merged into <paramref name="target"/>, a null
    /// deleting, objects merging recursively, arrays and scalars replacing. The target is not changed.
    /// </summary>
    /// <exception cref="ApiException">400 BadRequest when the patch is not a JSON object (an object's patch must be one).</exception>
    public static JsonObject Apply(JsonObject target, JsonNode patch)
    {
        if (patch is not JsonObject patchObject)
            throw ApiException.BadRequest($"a merge patch for an object must be a JSON object, got {JsonTree.Describe(patch)}");
        // Without directives nothing deletes the object itself, so the merge always yields one.
        return Merge.MergeObject(target, patchObject, FieldPath.Root)!;
    }
}
