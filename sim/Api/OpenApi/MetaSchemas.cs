using System.Text.Json.Nodes;

namespace Runai.Sim.Api.OpenApi;

/// <summary>
/// The apimachinery schemas every group-version document references (ObjectMeta, ListMeta, Status, DeleteOptions,
/// Patch…), under the names the real server gives them, with the patch extensions kubectl reads for ObjectMeta.
/// </summary>
internal static class MetaSchemas
{
    public const string Meta = "io.k8s.apimachinery.pkg.apis.meta.v1.";
    public const string ObjectMeta = Meta + "ObjectMeta";
    public const string ListMeta = Meta + "ListMeta";
    public const string Status = Meta + "Status";
    public const string DeleteOptions = Meta + "DeleteOptions";
    public const string Patch = Meta + "Patch";
    public const string Scale = "io.k8s.api.autoscaling.v1.Scale";

    public static string Ref(string name) => "#/components/schemas/" + name;

    public static JsonObject RefTo(string name, string? description = null, bool withDefault = true)
    {
        var o = new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = Ref(name) }) };
        if (withDefault)
        {
            o["default"] = new JsonObject();
        }

        if (description is not null)
        {
            o["description"] = description;
        }

        return o;
    }

    /// <summary>The schemas to add to a document; <paramref name="withScale"/> adds autoscaling/v1 Scale for scale subresources.</summary>
    public static IEnumerable<KeyValuePair<string, JsonNode?>> All(bool withScale)
    {
        yield return new(Meta + "Time", new JsonObject
        {
            ["description"] = "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON (RFC 3339).",
            ["type"] = "string",
            ["format"] = "date-time",
        });
        yield return new(Meta + "FieldsV1", new JsonObject
        {
            ["description"] = "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.",
            ["type"] = "object",
        });
        yield return new(Meta + "OwnerReference", new JsonObject
        {
            ["description"] = "OwnerReference contains enough information to let you identify an owning object.",
            ["type"] = "object",
            ["required"] = Strings("apiVersion", "kind", "name", "uid"),
            ["properties"] = new JsonObject
            {
                ["apiVersion"] = Str("API version of the referent."),
                ["blockOwnerDeletion"] = Bool("If true, the owner cannot be deleted from the key-value store until this reference is removed."),
                ["controller"] = Bool("If true, this reference points to the managing controller."),
                ["kind"] = Str("Kind of the referent."),
                ["name"] = Str("Name of the referent."),
                ["uid"] = Str("UID of the referent."),
            },
            ["x-kubernetes-map-type"] = "atomic",
        });
        yield return new(Meta + "ManagedFieldsEntry", new JsonObject
        {
            ["description"] = "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["apiVersion"] = Str("The version of the resource the field set applies to."),
                ["fieldsType"] = Str("The format of the fieldsV1 field; only FieldsV1 is known."),
                ["fieldsV1"] = RefTo(Meta + "FieldsV1", "The field set, in FieldsV1 format.", withDefault: false),
                ["manager"] = Str("The identifier of the workflow managing these fields."),
                ["operation"] = Str("The operation that caused this entry: Apply or Update."),
                ["subresource"] = Str("The subresource used to update the object, if any."),
                ["time"] = RefTo(Meta + "Time", "When the entry was last changed.", withDefault: false),
            },
        });
        yield return new(ObjectMeta, new JsonObject
        {
            ["description"] = "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["annotations"] = StringMap("Unstructured key value map stored with a resource that may be set by external tools."),
                ["creationTimestamp"] = RefTo(Meta + "Time", "A timestamp representing the server time when this object was created.", withDefault: false),
                ["deletionGracePeriodSeconds"] = Int64("Seconds allowed for graceful termination before the object is removed."),
                ["deletionTimestamp"] = RefTo(Meta + "Time", "RFC 3339 date and time at which this resource will be deleted.", withDefault: false),
                ["finalizers"] = new JsonObject
                {
                    ["description"] = "Must be empty before the object is deleted from the registry.",
                    ["type"] = "array",
                    ["items"] = new JsonObject { ["type"] = "string", ["default"] = "" },
                    ["x-kubernetes-list-type"] = "set",
                    ["x-kubernetes-patch-strategy"] = "merge",
                },
                ["generateName"] = Str("An optional prefix, used by the server, to generate a unique name."),
                ["generation"] = Int64("A sequence number representing a specific generation of the desired state."),
                ["labels"] = StringMap("Map of string keys and values that can be used to organize and categorize objects."),
                ["managedFields"] = new JsonObject
                {
                    ["description"] = "Maps workflow-id and version to the set of fields that are managed by that workflow.",
                    ["type"] = "array",
                    ["items"] = RefTo(Meta + "ManagedFieldsEntry"),
                    ["x-kubernetes-list-type"] = "atomic",
                },
                ["name"] = Str("Name must be unique within a namespace."),
                ["namespace"] = Str("Namespace defines the space within which each name must be unique."),
                ["ownerReferences"] = new JsonObject
                {
                    ["description"] = "List of objects depended by this object.",
                    ["type"] = "array",
                    ["items"] = RefTo(Meta + "OwnerReference"),
                    ["x-kubernetes-list-map-keys"] = Strings("uid"),
                    ["x-kubernetes-list-type"] = "map",
                    ["x-kubernetes-patch-merge-key"] = "uid",
                    ["x-kubernetes-patch-strategy"] = "merge",
                },
                ["resourceVersion"] = Str("An opaque value that represents the internal version of this object."),
                ["selfLink"] = Str("Deprecated: selfLink is a legacy read-only field that is no longer populated by the system."),
                ["uid"] = Str("UID is the unique in time and space value for this object."),
            },
        });
        yield return new(ListMeta, new JsonObject
        {
            ["description"] = "ListMeta describes metadata that synthetic resources must have, including lists and various status objects.",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["continue"] = Str("Set if the user should use the continue token to fetch more results."),
                ["remainingItemCount"] = Int64("The number of subsequent items in the list which are not included in this list response."),
                ["resourceVersion"] = Str("String that identifies the server's internal version of this object."),
                ["selfLink"] = Str("Deprecated: no longer populated by the system."),
            },
        });
        yield return new(Meta + "StatusCause", new JsonObject
        {
            ["description"] = "StatusCause provides more information about an api.Status failure, including cases when multiple errors are encountered.",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["field"] = Str("The field of the resource that has caused this error, as named by its JSON serialization."),
                ["message"] = Str("A human-readable description of the cause of the error."),
                ["reason"] = Str("A machine-readable description of the cause of the error."),
            },
        });
        yield return new(Meta + "StatusDetails", new JsonObject
        {
            ["description"] = "StatusDetails is a set of additional properties that MAY be set by the server to provide additional information about a response.",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["causes"] = new JsonObject
                {
                    ["description"] = "The Causes array includes more details associated with the StatusReason failure.",
                    ["type"] = "array",
                    ["items"] = RefTo(Meta + "StatusCause"),
                    ["x-kubernetes-list-type"] = "atomic",
                },
                ["group"] = Str("The group attribute of the resource associated with the status StatusReason."),
                ["kind"] = Str("The kind attribute of the resource associated with the status StatusReason."),
                ["name"] = Str("The name attribute of the resource associated with the status StatusReason."),
                ["retryAfterSeconds"] = Int32("If specified, the time in seconds before the operation should be retried."),
                ["uid"] = Str("UID of the resource."),
            },
        });
        yield return new(Status, new JsonObject
        {
            ["description"] = "Status is a return value for calls that don't return other objects.",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["apiVersion"] = Str("APIVersion defines the versioned schema of this representation of an object."),
                ["code"] = Int32("Suggested HTTP return code for this status, 0 if not set."),
                ["details"] = RefTo(Meta + "StatusDetails", "Extended data associated with the reason.", withDefault: false),
                ["kind"] = Str("Kind is a string value representing the REST resource this object represents."),
                ["message"] = Str("A human-readable description of the status of this operation."),
                ["metadata"] = RefTo(ListMeta, "Standard list metadata."),
                ["reason"] = Str("A machine-readable description of why this operation is in the \"Failure\" status."),
                ["status"] = Str("Status of the operation. One of: \"Success\" or \"Failure\"."),
            },
            ["x-kubernetes-group-version-kind"] = new JsonArray(Gvk("", "v1", "Status")),
        });
        yield return new(Meta + "Preconditions", new JsonObject
        {
            ["description"] = "Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["resourceVersion"] = Str("Specifies the target ResourceVersion"),
                ["uid"] = Str("Specifies the target UID."),
            },
        });
        yield return new(DeleteOptions, new JsonObject
        {
            ["description"] = "DeleteOptions may be provided when deleting an API object.",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["apiVersion"] = Str("APIVersion defines the versioned schema of this representation of an object."),
                ["dryRun"] = new JsonObject
                {
                    ["description"] = "When present, indicates that modifications should not be persisted.",
                    ["type"] = "array",
                    ["items"] = new JsonObject { ["type"] = "string", ["default"] = "" },
                    ["x-kubernetes-list-type"] = "atomic",
                },
                ["gracePeriodSeconds"] = Int64("The duration in seconds before the object should be deleted."),
                ["ignoreStoreReadErrorWithClusterBreakingPotential"] = Bool("If set, an unsafe deletion of a corrupt object is attempted."),
                ["kind"] = Str("Kind is a string value representing the REST resource this object represents."),
                ["orphanDependents"] = Bool("Deprecated: please use the PropagationPolicy."),
                ["preconditions"] = RefTo(Meta + "Preconditions", "Must be fulfilled before a deletion is carried out.", withDefault: false),
                ["propagationPolicy"] = Str("Whether and how garbage collection will be performed: Orphan, Background or Foreground."),
            },
        });
        yield return new(Patch, new JsonObject
        {
            ["description"] = "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
            ["type"] = "object",
        });
        if (withScale)
        {
            yield return new(Scale, new JsonObject
            {
                ["description"] = "Scale represents a scaling request for a resource.",
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["apiVersion"] = Str("APIVersion defines the versioned schema of this representation of an object."),
                    ["kind"] = Str("Kind is a string value representing the REST resource this object represents."),
                    ["metadata"] = RefTo(ObjectMeta, "Standard object metadata."),
                    ["spec"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["properties"] = new JsonObject { ["replicas"] = Int32("The desired number of instances for the scaled object.") },
                    },
                    ["status"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["required"] = Strings("replicas"),
                        ["properties"] = new JsonObject
                        {
                            ["replicas"] = Int32("The actual number of observed instances of the scaled object."),
                            ["selector"] = Str("The label query over pods that should match the replicas count, in selector syntax."),
                        },
                    },
                },
                ["x-kubernetes-group-version-kind"] = new JsonArray(Gvk("autoscaling", "v1", "Scale")),
            });
        }
    }

    public static JsonObject Gvk(string group, string version, string kind) =>
        new() { ["group"] = group, ["kind"] = kind, ["version"] = version };

    internal static JsonObject Str(string description) => new() { ["description"] = description, ["type"] = "string" };

    private static JsonObject Bool(string description) => new() { ["description"] = description, ["type"] = "boolean" };

    private static JsonObject Int32(string description) => new() { ["description"] = description, ["type"] = "integer", ["format"] = "int32" };

    private static JsonObject Int64(string description) => new() { ["description"] = description, ["type"] = "integer", ["format"] = "int64" };

    private static JsonObject StringMap(string description) => new()
    {
        ["description"] = description,
        ["type"] = "object",
        ["additionalProperties"] = new JsonObject { ["type"] = "string", ["default"] = "" },
    };

    private static JsonArray Strings(params string[] values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}
