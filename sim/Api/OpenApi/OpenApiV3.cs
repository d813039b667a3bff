using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.OpenApi;

/// <summary>
/// The OpenAPI v3 documents the real server publishes: an index at <c>/openapi/v3</c> and one document per
/// group-version. kubectl reads them to decide that the server validates fields itself: when the kind's PATCH
/// operation carries <c>x-kubernetes-group-version-kind</c> and a <c>fieldValidation</c> query parameter,
/// <c>kubectl apply</c> sends <c>fieldValidation=Strict</c> instead of validating (or refusing) on its own.
/// </summary>
internal static class OpenApiV3
{
    private const string CrdTitle = "Kubernetes CRD Swagger";

    /// <summary>
    /// <c>GET /openapi/v3</c>: each group-version's document with a hash of its content, so clients cache a
    /// document until it changes (a CRD added, a schema edited).
    /// </summary>
    public static JsonObject V3Index(IEnumerable<ResourceDefinition> defs)
    {
        var paths = new JsonObject();
        foreach (var group in defs.GroupBy(PathOf).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var hash = Hash(Document(group.ToList()));
            paths[group.Key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{group.Key}?hash={hash}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>
    /// <c>GET /openapi/v3/api/v1</c> or <c>/openapi/v3/apis/{group}/{version}</c>; the path may be given with or
    /// without the <c>/openapi/v3/</c> prefix and query. Throws 404 for a group-version no resource is served in.
    /// </summary>
    public static JsonObject V3GroupVersion(string groupVersionPath, IEnumerable<ResourceDefinition> defs)
    {
        var path = Normalize(groupVersionPath);
        var matching = defs.Where(d => PathOf(d) == path).ToList();
        if (matching.Count == 0)
        {
            throw ApiException.NotFound($"no OpenAPI v3 document for \"{path}\": no resources are served in that group-version");
        }

        return Document(matching);
    }

    /// <summary>The index key of a resource's group-version: <c>api/v1</c> or <c>apis/run.ai/v2alpha1</c>.</summary>
    public static string PathOf(ResourceDefinition def) => def.Group.Length == 0 ? $"api/{def.Version}" : $"apis/{def.Group}/{def.Version}";

    /// <summary>
    /// A kind's schema name as the real server names it: built-in kinds by Go package
    /// (<c>io.k8s.api.core.v1.Pod</c>), others by reversed group (<c>ai.run.v2alpha1.Project</c>).
    /// </summary>
    public static string SchemaName(ResourceDefinition def, string kind)
    {
        if (def.BuiltIn)
        {
            if (def.Group == "apiextensions.k8s.io")
            {
                return $"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{def.Version}.{kind}";
            }

            var package = def.Group.Length == 0 ? "core" : def.Group.Split('.')[0];
            return $"io.k8s.api.{package}.{def.Version}.{kind}";
        }

        var reversed = string.Join('.', def.Group.Split('.').Reverse());
        return $"{reversed}.{def.Version}.{kind}";
    }

    public static string Hash(JsonObject document) =>
        Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(document.ToJsonString())));

    private static string Normalize(string path)
    {
        var p = path;
        var query = p.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            p = p[..query];
        }

        p = p.Trim('/');
        const string Prefix = "openapi/v3/";
        return p.StartsWith(Prefix, StringComparison.Ordinal) ? p[Prefix.Length..] : p;
    }

    private static JsonObject Document(IReadOnlyList<ResourceDefinition> defs)
    {
        // Sorted so the same definitions always give the same bytes, hence the same hash.
        var ordered = defs.OrderBy(d => d.Plural, StringComparer.Ordinal).ToList();
        var builtIn = ordered.Any(d => d.BuiltIn);
        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var def in ordered)
        {
            foreach (var (p, item) in Paths(def))
            {
                paths[p] = item;
            }

            schemas[SchemaName(def, def.Kind)] = KindSchema(def);
            schemas[SchemaName(def, def.ListKind)] = ListSchema(def);
        }

        foreach (var (name, schema) in MetaSchemas.All(ordered.Any(d => d.Subresources.Contains("scale"))))
        {
            schemas[name] = schema;
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject
            {
                ["title"] = builtIn ? "Kubernetes" : CrdTitle,
                ["version"] = builtIn ? "v1.32.0" : "v0.1.0",
            },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = schemas,
                ["securitySchemes"] = new JsonObject
                {
                    ["BearerToken"] = new JsonObject
                    {
                        ["type"] = "apiKey",
                        ["description"] = "Bearer Token authentication",
                        ["name"] = "authorization",
                        ["in"] = "header",
                    },
                },
            },
            ["security"] = new JsonArray(new JsonObject { ["BearerToken"] = new JsonArray() }),
        };
    }

    private static IEnumerable<(string Path, JsonObject Item)> Paths(ResourceDefinition def)
    {
        var prefix = "/" + PathOf(def);
        var scope = def.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{def.Plural}" : $"{prefix}/{def.Plural}";
        var names = new OperationNames(def);
        var kindRef = MetaSchemas.Ref(SchemaName(def, def.Kind));
        var listRef = MetaSchemas.Ref(SchemaName(def, def.ListKind));
        var gvk = MetaSchemas.Gvk(def.Group, def.Version, def.Kind);
        bool Can(string verb) => def.Verbs.Contains(verb);

        var collection = new JsonObject();
        if (Can("list"))
        {
            collection["get"] = Operation(def, "list", names.Id("list", ""), $"list or watch objects of kind {def.Kind}",
                gvk, ListParameters(), null, Responses(def, listRef, watch: true, "200"));
        }

        if (Can("create"))
        {
            collection["post"] = Operation(def, "post", names.Id("create", ""), $"create a {def.Kind}",
                gvk, WriteParameters(patch: false), Body(kindRef), Responses(def, kindRef, watch: false, "200", "201", "202"));
        }

        if (Can("deletecollection"))
        {
            collection["delete"] = Operation(def, "deletecollection", names.Id("delete", "", collection: true),
                $"delete collection of {def.Kind}", gvk, [.. DeleteParameters(), .. ListParameters()],
                Body(MetaSchemas.Ref(MetaSchemas.DeleteOptions)), Responses(def, MetaSchemas.Ref(MetaSchemas.Status), watch: false, "200"));
        }

        if (collection.Count > 0)
        {
            collection["parameters"] = PathParameters(def, withName: false);
            yield return (scope, collection);
        }

        var item = new JsonObject();
        if (Can("get"))
        {
            item["get"] = Operation(def, "get", names.Id("read", ""), $"read the specified {def.Kind}",
                gvk, [], null, Responses(def, kindRef, watch: false, "200"));
        }

        if (Can("update"))
        {
            item["put"] = Operation(def, "put", names.Id("replace", ""), $"replace the specified {def.Kind}",
                gvk, WriteParameters(patch: false), Body(kindRef), Responses(def, kindRef, watch: false, "200", "201"));
        }

        if (Can("patch"))
        {
            item["patch"] = Operation(def, "patch", names.Id("patch", ""), $"partially update the specified {def.Kind}",
                gvk, WriteParameters(patch: true), PatchBody(def), Responses(def, kindRef, watch: false, "200", "201"));
        }

        if (Can("delete"))
        {
            item["delete"] = Operation(def, "delete", names.Id("delete", ""), $"delete a {def.Kind}",
                gvk, DeleteParameters(), Body(MetaSchemas.Ref(MetaSchemas.DeleteOptions)),
                Responses(def, def.BuiltIn ? MetaSchemas.Ref(MetaSchemas.Status) : kindRef, watch: false, "200", "202"));
        }

        if (item.Count > 0)
        {
            item["parameters"] = PathParameters(def, withName: true);
            yield return ($"{scope}/{{name}}", item);
        }

        if (def.Namespaced && Can("list"))
        {
            yield return ($"{prefix}/{def.Plural}", new JsonObject
            {
                ["get"] = Operation(def, "list", names.Id("list", "", allNamespaces: true), $"list or watch objects of kind {def.Kind}",
                    gvk, ListParameters(), null, Responses(def, listRef, watch: true, "200")),
                ["parameters"] = new JsonArray(Pretty()),
            });
        }

        foreach (var sub in def.Subresources.Where(s => s is "status" or "scale"))
        {
            var (subGvk, subRef, suffix) = sub == "status"
                ? (gvk, kindRef, "Status")
                : (MetaSchemas.Gvk("autoscaling", "v1", "Scale"), MetaSchemas.Ref(MetaSchemas.Scale), "Scale");
            yield return ($"{scope}/{{name}}/{sub}", new JsonObject
            {
                ["get"] = Operation(def, "get", names.Id("read", suffix), $"read {sub} of the specified {def.Kind}",
                    subGvk, [], null, Responses(def, subRef, watch: false, "200")),
                ["put"] = Operation(def, "put", names.Id("replace", suffix), $"replace {sub} of the specified {def.Kind}",
                    subGvk, WriteParameters(patch: false), Body(subRef), Responses(def, subRef, watch: false, "200", "201")),
                ["patch"] = Operation(def, "patch", names.Id("patch", suffix), $"partially update {sub} of the specified {def.Kind}",
                    subGvk, WriteParameters(patch: true), PatchBody(def), Responses(def, subRef, watch: false, "200", "201")),
                ["parameters"] = PathParameters(def, withName: true),
            });
        }
    }

    private static JsonObject Operation(ResourceDefinition def, string action, string id, string description, JsonObject gvk,
        IReadOnlyList<JsonObject> parameters, JsonObject? body, JsonObject responses)
    {
        var op = new JsonObject
        {
            ["tags"] = new JsonArray(OperationNames.Tag(def)),
            ["description"] = description,
            ["operationId"] = id,
        };
        if (parameters.Count > 0)
        {
            op["parameters"] = new JsonArray(parameters.Select(p => (JsonNode)p.DeepClone()).ToArray());
        }

        if (body is not null)
        {
            op["requestBody"] = body;
        }

        op["responses"] = responses;
        op["x-kubernetes-action"] = action;
        op["x-kubernetes-group-version-kind"] = gvk.DeepClone();
        return op;
    }

    private static JsonObject Responses(ResourceDefinition def, string schemaRef, bool watch, params string[] codes)
    {
        var responses = new JsonObject();
        foreach (var code in codes)
        {
            var content = new JsonObject();
            foreach (var type in ResponseTypes(def, watch))
            {
                content[type] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = schemaRef } };
            }

            responses[code] = new JsonObject
            {
                ["description"] = code switch { "201" => "Created", "202" => "Accepted", _ => "OK" },
                ["content"] = content,
            };
        }

        responses["401"] = new JsonObject { ["description"] = "Unauthorized" };
        return responses;
    }

    private static IEnumerable<string> ResponseTypes(ResourceDefinition def, bool watch)
    {
        yield return "application/json";
        if (watch)
        {
            yield return "application/json;stream=watch";
        }

        if (def.BuiltIn)
        {
            yield return "application/vnd.kubernetes.protobuf";
        }

        yield return "application/yaml";
    }

    private static JsonObject Body(string schemaRef) => new()
    {
        ["content"] = new JsonObject { ["*/*"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = schemaRef } } },
        ["required"] = true,
    };

    private static JsonObject PatchBody(ResourceDefinition def)
    {
        var content = new JsonObject();
        List<string> types = ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"];
        if (def.BuiltIn)
        {
            types.Add("application/strategic-merge-patch+json");
        }

        foreach (var type in types)
        {
            content[type] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = MetaSchemas.Ref(MetaSchemas.Patch) } };
        }

        return new JsonObject { ["content"] = content, ["required"] = true };
    }

    private static JsonArray PathParameters(ResourceDefinition def, bool withName)
    {
        var parameters = new JsonArray();
        if (withName)
        {
            parameters.Add(Parameter("name", "path", $"name of the {def.Kind}", "string", required: true));
        }

        if (def.Namespaced)
        {
            parameters.Add(Parameter("namespace", "path", "object name and auth scope, such as for teams and projects", "string", required: true));
        }

        parameters.Add(Pretty());
        return parameters;
    }

    private static JsonObject Pretty() =>
        Parameter("pretty", "query", "If 'true', then the output is pretty printed.", "string");

    private static List<JsonObject> WriteParameters(bool patch)
    {
        var list = new List<JsonObject>
        {
            Parameter("dryRun", "query", "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed", "string"),
            Parameter("fieldManager", "query", patch
                ? "fieldManager is a name associated with the actor or entity that is making these changes. It is required for apply requests (application/apply-patch) but optional for other patch types."
                : "fieldManager is a name associated with the actor or entity that is making these changes.", "string"),
            Parameter("fieldValidation", "query",
                "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. " +
                "Valid values are: - Ignore: unknown fields are silently dropped. - Warn: a warning is sent in the Warning response header for each unknown field (the default). " +
                "- Strict: the request fails with a BadRequest error naming every unknown field.", "string"),
        };
        if (patch)
        {
            list.Add(Parameter("force", "query",
                "Force is going to \"force\" Apply requests: the caller re-acquires fields owned by other managers. Must be unset for non-apply patch requests.", "boolean"));
        }

        return list;
    }

    private static List<JsonObject> DeleteParameters() =>
    [
        Parameter("dryRun", "query", "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed", "string"),
        Parameter("gracePeriodSeconds", "query", "The duration in seconds before the object should be deleted; zero means delete immediately.", "integer"),
        Parameter("ignoreStoreReadErrorWithClusterBreakingPotential", "query", "If set, an unsafe deletion of a corrupt object is attempted.", "boolean"),
        Parameter("orphanDependents", "query", "Deprecated: please use the PropagationPolicy.", "boolean"),
        Parameter("propagationPolicy", "query", "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'.", "string"),
    ];

    private static List<JsonObject> ListParameters() =>
    [
        Parameter("allowWatchBookmarks", "query", "allowWatchBookmarks requests watch events with type \"BOOKMARK\".", "boolean"),
        Parameter("continue", "query", "The continue option should be set when retrieving more results from the server.", "string"),
        Parameter("fieldSelector", "query", "A selector to restrict the list of returned objects by their fields. Defaults to everything.", "string"),
        Parameter("labelSelector", "query", "A selector to restrict the list of returned objects by their labels. Defaults to everything.", "string"),
        Parameter("limit", "query", "limit is a maximum number of responses to return for a list call.", "integer"),
        Parameter("resourceVersion", "query", "resourceVersion sets a constraint on what resource versions a request may be served from.", "string"),
        Parameter("resourceVersionMatch", "query", "resourceVersionMatch determines how resourceVersion is applied to list calls.", "string"),
        Parameter("sendInitialEvents", "query", "`sendInitialEvents=true` may be set together with `watch=true`.", "boolean"),
        Parameter("timeoutSeconds", "query", "Timeout for the list/watch call.", "integer"),
        Parameter("watch", "query", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.", "boolean"),
    ];

    private static JsonObject Parameter(string name, string location, string description, string type, bool required = false)
    {
        var p = new JsonObject
        {
            ["name"] = name,
            ["in"] = location,
            ["description"] = description,
        };
        if (required)
        {
            p["required"] = true;
        }

        p["schema"] = new JsonObject { ["type"] = type, ["uniqueItems"] = true };
        return p;
    }

    private static JsonObject KindSchema(ResourceDefinition def)
    {
        var schema = def.Schema?.DeepClone().AsObject()
            ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        schema["type"] ??= "object";
        if (schema["properties"] is not JsonObject properties)
        {
            properties = new JsonObject();
            schema["properties"] = properties;
        }

        properties["apiVersion"] = MetaSchemas.Str(
            "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.");
        properties["kind"] = MetaSchemas.Str(
            "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to.");
        properties["metadata"] = MetaSchemas.RefTo(MetaSchemas.ObjectMeta,
            "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata");

        // A built-in kind without a schema gets no GVK here: kubectl then computes strategic merge patches from its
        // compiled-in types instead of from a schema that lacks the patch merge keys.
        if (!(def.BuiltIn && def.Schema is null))
        {
            schema["x-kubernetes-group-version-kind"] = new JsonArray(MetaSchemas.Gvk(def.Group, def.Version, def.Kind));
        }

        return schema;
    }

    private static JsonObject ListSchema(ResourceDefinition def) => new()
    {
        ["description"] = $"{def.ListKind} is a list of {def.Kind}",
        ["type"] = "object",
        ["required"] = new JsonArray("items"),
        ["properties"] = new JsonObject
        {
            ["apiVersion"] = MetaSchemas.Str("APIVersion defines the versioned schema of this representation of an object."),
            ["items"] = new JsonObject
            {
                ["description"] = $"List of {def.Plural}.",
                ["type"] = "array",
                ["items"] = MetaSchemas.RefTo(SchemaName(def, def.Kind)),
            },
            ["kind"] = MetaSchemas.Str("Kind is a string value representing the REST resource this object represents."),
            ["metadata"] = MetaSchemas.RefTo(MetaSchemas.ListMeta, "Standard list metadata."),
        },
        ["x-kubernetes-group-version-kind"] = new JsonArray(MetaSchemas.Gvk(def.Group, def.Version, def.ListKind)),
    };

    /// <summary>Operation ids and tags as the real server forms them: <c>patchRunAiV2alpha1NamespacedProject</c>, tag <c>runAi_v2alpha1</c>.</summary>
    private sealed class OperationNames(ResourceDefinition def)
    {
        private readonly string groupVersion = GroupWords(def.Group) + Upper(def.Version);

        public string Id(string verb, string suffix, bool collection = false, bool allNamespaces = false)
        {
            if (allNamespaces)
            {
                return $"{verb}{groupVersion}{def.Kind}ForAllNamespaces";
            }

            var scope = def.Namespaced ? "Namespaced" : "";
            return $"{verb}{groupVersion}{(collection ? "Collection" : "")}{scope}{def.Kind}{suffix}";
        }

        public static string Tag(ResourceDefinition def)
        {
            var words = GroupWords(def.Group);
            return char.ToLowerInvariant(words[0]) + words[1..] + "_" + def.Version;
        }

        private static string GroupWords(string group)
        {
            if (group.Length == 0)
            {
                return "Core";
            }

            var trimmed = group.EndsWith(".k8s.io", StringComparison.Ordinal) ? group[..^".k8s.io".Length] : group;
            return string.Concat(trimmed.Split('.', '-').Where(p => p.Length > 0).Select(Upper));
        }

        private static string Upper(string s) => s.Length == 0 ? s : char.ToUpper(s[0], CultureInfo.InvariantCulture) + s[1..];
    }
}
