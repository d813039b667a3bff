using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Runai.Sim.Api.Admission;
using Runai.Sim.Api.Defaulting;
using Runai.Sim.Api.Patching;
using Runai.Sim.Api.Rbac;
using Runai.Sim.Api.Storage;
using Runai.Sim.Api.Validation;

namespace Runai.Sim.Api;

/// <summary>Options a write request carries in its query string.</summary>
internal sealed record WriteOptions
{
    public bool DryRun { get; init; }
    public string FieldManager { get; init; } = "";
    public FieldValidation FieldValidation { get; init; } = FieldValidation.Warn;
    public bool Force { get; init; }
}

internal sealed record DeleteOptions
{
    public bool DryRun { get; init; }
    public long? GracePeriodSeconds { get; init; }
    /// <summary>Background, Foreground or Orphan.</summary>
    public string PropagationPolicy { get; init; } = "Background";
    public string? PreconditionUid { get; init; }
    public long? PreconditionResourceVersion { get; init; }
}

/// <summary>
/// What the API server does with objects, apart from HTTP: create, update, patch, delete with admission,
/// validation, defaulting, generation and managedFields, finalizers and graceful pod deletion.
/// The HTTP front end and in-process callers (scenario loading, the cluster's own controllers) both use it.
/// </summary>
internal sealed class ApiOperations(
    ObjectStore store,
    ResourceRegistry registry,
    WebhookAdmission webhooks,
    TimeProvider time,
    ILogger<ApiOperations> log)
{
    public ObjectStore Store => store;
    public ResourceRegistry Registry => registry;
    public TimeProvider Time => time;

    /// <summary>Raised after every stored change (for the cluster's controllers: GC, namespaces, CRDs).</summary>
    public event Action<ResourceDefinition, StoreEvent>? Changed;

    public StoredObject Get(ResourceDefinition def, string ns, string name) =>
        store.Get(def.GroupResource, ns, name) ?? throw NotFound(def, name);

    public async Task<JsonObject> CreateAsync(UserInfo user, ResourceDefinition def, string ns, JsonObject obj, WriteOptions opts, CancellationToken ct)
    {
        CheckTypeMeta(def, obj);
        var meta = Metadata(obj);
        ns = ResolveNamespace(def, ns, meta);
        if (string.IsNullOrEmpty((string?)meta["name"]) && meta["generateName"] is JsonValue gen)
        {
            meta["name"] = (string)gen! + RandomSuffix();
        }

        if (string.IsNullOrEmpty((string?)meta["name"]))
        {
            throw ApiException.Invalid($"{def.Kind} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                Cause("FieldValueRequired", "Required value: name or generateName is required", "metadata.name"));
        }

        if (def.Namespaced)
        {
            RequireLiveNamespace(ns);
        }

        // Server-owned metadata is never taken from a client.
        foreach (var k in new[] { "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink" })
        {
            meta.Remove(k);
        }

        ResetStatusOnCreate(def, obj);
        var prepared = await AdmitAsync(user, def, "CREATE", obj, null, opts, ct);
        var m = Metadata(prepared);
        m["uid"] = Guid.NewGuid().ToString();
        m["creationTimestamp"] = Now();
        if (HasGeneration(def))
        {
            m["generation"] = 1;
        }
        RecordManager(null, prepared, opts, "Update");
        if (opts.DryRun)
        {
            m["resourceVersion"] = store.CurrentRevision.ToString(CultureInfo.InvariantCulture);
            return prepared;
        }

        var stored = store.Create(def, prepared);
        Notify(def, new StoreEvent(WatchEventType.Added, stored, null));
        return stored.ToJsonObject();
    }

    /// <summary>PUT: replaces the object (or only its status for the status subresource).</summary>
    public async Task<JsonObject> UpdateAsync(UserInfo user, ResourceDefinition def, string ns, string name, string subresource,
        JsonObject obj, WriteOptions opts, CancellationToken ct)
    {
        CheckTypeMeta(def, obj);
        var meta = Metadata(obj);
        ns = ResolveNamespace(def, ns, meta);
        var bodyName = (string?)meta["name"];
        if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        meta["name"] = name;
        long? expected = long.TryParse((string?)meta["resourceVersion"], NumberStyles.None, CultureInfo.InvariantCulture, out var rv) ? rv : null;
        var current = store.Get(def.GroupResource, ns, name) ?? throw NotFound(def, name);
        return await ReplaceAsync(user, def, current, obj, subresource, expected, opts, "Update", ct);
    }

    /// <summary>PATCH in any of the four patch types; server-side apply creates the object when it is missing.</summary>
    public async Task<JsonObject> PatchAsync(UserInfo user, ResourceDefinition def, string ns, string name, string subresource,
        string patchType, JsonNode patch, WriteOptions opts, CancellationToken ct)
    {
        // As the real server, a patch retries internally when the object moves underneath it.
        for (var attempt = 0; ; attempt++)
        {
            var current = store.Get(def.GroupResource, ns, name);
            if (current is null)
            {
                if (patchType == PatchTypes.Apply && subresource.Length == 0)
                {
                    if (patch is not JsonObject applied)
                    {
                        throw ApiException.BadRequest("apply patch must be an object");
                    }

                    var result = ServerSideApply.Apply(null, applied, RequireManager(opts), opts.Force, time.GetUtcNow());
                    var created = result.Object;
                    Metadata(created)["name"] = name;
                    if (def.Namespaced)
                    {
                        Metadata(created)["namespace"] = ns;
                    }

                    return await CreateAsync(user, def, ns, created, opts with { FieldManager = "" }, ct);
                }

                throw NotFound(def, name);
            }

            var live = current.ToJsonObject();
            JsonObject next;
            string operation = "Update";
            switch (patchType)
            {
                case PatchTypes.Merge:
                    next = JsonMergePatch.Apply(live, patch);
                    break;
                case PatchTypes.Json:
                    next = JsonPatch.Apply(live, patch);
                    break;
                case PatchTypes.StrategicMerge:
                    if (!def.BuiltIn)
                    {
                        throw new ApiException(415, "UnsupportedMediaType",
                            $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
                    }

                    next = StrategicMergePatch.Apply(live, patch, def.Group, def.Kind);
                    break;
                case PatchTypes.Apply:
                    if (patch is not JsonObject applyObj)
                    {
                        throw ApiException.BadRequest("apply patch must be an object");
                    }

                    next = ServerSideApply.Apply(live, applyObj, RequireManager(opts), opts.Force, time.GetUtcNow()).Object;
                    operation = "Apply";
                    break;
                default:
                    throw new ApiException(415, "UnsupportedMediaType", $"unsupported patch type \"{patchType}\"");
            }

            // A patch that names a resourceVersion is a precondition; otherwise it applies to what it read.
            var patchRv = (string?)(patch as JsonObject)?["metadata"]?["resourceVersion"];
            long? expected = long.TryParse(patchRv, NumberStyles.None, CultureInfo.InvariantCulture, out var prv) ? prv : current.ResourceVersion;
            try
            {
                return await ReplaceAsync(user, def, current, next, subresource, expected,
                    operation == "Apply" ? opts with { FieldManager = "" } : opts, operation, ct);
            }
            catch (ApiException e) when (e.Code == 409 && patchRv is null && attempt < 100)
            {
                // lost a race with another writer: re-read and re-apply
            }
        }
    }

    private static string RequireManager(WriteOptions opts) => opts.FieldManager.Length > 0
        ? opts.FieldManager
        : throw ApiException.BadRequest("PATCH, application/apply-patch+yaml: fieldManager is required for apply requests");

    private async Task<JsonObject> ReplaceAsync(UserInfo user, ResourceDefinition def, StoredObject current, JsonObject next,
        string subresource, long? expected, WriteOptions opts, string operation, CancellationToken ct)
    {
        var old = current.ToJsonObject();
        var merged = MergeForSubresource(def, old, next, subresource);
        var meta = Metadata(merged);
        var oldMeta = Metadata(old);
        // Identity and server-owned fields stay as stored.
        foreach (var k in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "namespace", "name", "generation" })
        {
            if (oldMeta[k] is { } v)
            {
                meta[k] = v.DeepClone();
            }
            else
            {
                meta.Remove(k);
            }
        }

        var prepared = subresource.Length == 0
            ? await AdmitAsync(user, def, "UPDATE", merged, old, opts, ct)
            : merged;
        var pm = Metadata(prepared);
        if (HasGeneration(def) && SpecChanged(old, prepared))
        {
            pm["generation"] = ((long?)oldMeta["generation"] ?? 1) + 1;
        }

        if (operation == "Update")
        {
            RecordManager(old, prepared, opts, "Update", subresource.Length > 0 ? subresource : null);
        }

        // A terminating object whose last finalizer went away is deleted now.
        if (pm["deletionTimestamp"] is not null && (pm["finalizers"] is not JsonArray f || f.Count == 0))
        {
            if (opts.DryRun)
            {
                return prepared;
            }

            var gone = store.Delete(def, current.Namespace, current.Name, expected);
            Notify(def, new StoreEvent(WatchEventType.Deleted, gone, current));
            return gone.ToJsonObject();
        }

        if (opts.DryRun)
        {
            return prepared;
        }

        if (expected is { } want && want != current.ResourceVersion)
        {
            // The precondition is checked before a no-op is recognised, as on a real server.
            throw ApiException.Conflict($"Operation cannot be fulfilled on {def.GroupResource} \"{current.Name}\": the object has been modified; please apply your changes to the latest version and try again");
        }

        if (JsonNode.DeepEquals(StripVolatile(old), StripVolatile(prepared)))
        {
            // A no-op write does not bump the resourceVersion (as on a real server).
            return old;
        }

        var stored = store.Update(def, prepared, expected);
        Notify(def, new StoreEvent(WatchEventType.Modified, stored, current));
        return stored.ToJsonObject();
    }

    public async Task<JsonObject> DeleteAsync(UserInfo user, ResourceDefinition def, string ns, string name, DeleteOptions opts, CancellationToken ct)
    {
        var current = store.Get(def.GroupResource, ns, name) ?? throw NotFound(def, name);
        if (opts.PreconditionUid is { } uid && uid != current.Uid)
        {
            throw ApiException.Conflict($"Operation cannot be fulfilled on {def.GroupResource} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {current.Uid}");
        }

        if (opts.PreconditionResourceVersion is { } prv && prv != current.ResourceVersion)
        {
            throw ApiException.Conflict($"Operation cannot be fulfilled on {def.GroupResource} \"{name}\": Precondition failed: ResourceVersion in precondition: {prv}, ResourceVersion in object meta: {current.ResourceVersion}");
        }

        await webhooks.AdmitAsync(user, def, "DELETE", null, current.ToJsonObject(), opts.DryRun, ct);
        var obj = current.ToJsonObject();
        var meta = Metadata(obj);
        var finalizers = meta["finalizers"] as JsonArray ?? [];

        // Graceful deletion of a pod on a node: the kubelet ends it and deletes it with grace 0.
        var graceful = def.Group.Length == 0 && def.Kind == "Pod" && obj["spec"]?["nodeName"] is not null
            && (opts.GracePeriodSeconds ?? (long?)obj["spec"]?["terminationGracePeriodSeconds"] ?? 30) > 0
            && !IsFinished(obj);
        var isNamespace = def.Group.Length == 0 && def.Kind == "Namespace";
        var foreground = opts.PropagationPolicy == "Foreground" && store.Dependents(current.Uid).Count > 0;
        if (foreground && !finalizers.Any(f => (string?)f == "foregroundDeletion"))
        {
            finalizers.Add("foregroundDeletion");
            meta["finalizers"] = finalizers;
        }

        if (opts.PropagationPolicy == "Orphan" && !finalizers.Any(f => (string?)f == "orphan"))
        {
            finalizers.Add("orphan");
            meta["finalizers"] = finalizers;
        }

        if (finalizers.Count > 0 || graceful || isNamespace)
        {
            if (meta["deletionTimestamp"] is null)
            {
                meta["deletionTimestamp"] = Now();
                meta["deletionGracePeriodSeconds"] = graceful ? (opts.GracePeriodSeconds ?? (long?)obj["spec"]?["terminationGracePeriodSeconds"] ?? 30) : 0;
                if (isNamespace)
                {
                    obj["status"] = new JsonObject { ["phase"] = "Terminating" };
                }

                if (opts.DryRun)
                {
                    return obj;
                }

                var stored = store.Update(def, obj, current.ResourceVersion);
                Notify(def, new StoreEvent(WatchEventType.Modified, stored, current));
                return stored.ToJsonObject();
            }

            if (!(def.Kind == "Pod" && opts.GracePeriodSeconds == 0 && finalizers.Count == 0))
            {
                return current.ToJsonObject();
            }
        }

        if (opts.DryRun)
        {
            return obj;
        }

        var gone = store.Delete(def, ns, name);
        Notify(def, new StoreEvent(WatchEventType.Deleted, gone, current));
        return gone.ToJsonObject();
    }

    /// <summary>
    /// A change the server itself makes (binding, scale, its controllers): read, change, write with the read
    /// resourceVersion as precondition, retried when another writer got there first. No admission runs.
    /// </summary>
    public JsonObject Mutate(ResourceDefinition def, string ns, string name, Func<JsonObject, JsonObject?> change, string? manager = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = store.Get(def.GroupResource, ns, name) ?? throw NotFound(def, name);
            var old = current.ToJsonObject();
            var next = change(old.DeepClone().AsObject());
            if (next is null)
            {
                return old;
            }

            if (HasGeneration(def) && SpecChanged(old, next))
            {
                Metadata(next)["generation"] = ((long?)Metadata(old)["generation"] ?? 1) + 1;
            }

            if (manager is not null)
            {
                RecordManager(old, next, new WriteOptions { FieldManager = manager }, "Update");
            }

            try
            {
                var stored = store.Update(def, next, current.ResourceVersion);
                Notify(def, new StoreEvent(WatchEventType.Modified, stored, current));
                return stored.ToJsonObject();
            }
            catch (ApiException e) when (e.Code == 409 && attempt < 10)
            {
                // raced with another writer; try again on the fresh object
            }
        }
    }

    /// <summary>Removes an object at once (finalizers already done), as the server's own controllers finish a deletion.</summary>
    public void Remove(ResourceDefinition def, string ns, string name)
    {
        var current = store.Get(def.GroupResource, ns, name);
        if (current is null)
        {
            return;
        }

        try
        {
            var gone = store.Delete(def, ns, name, current.ResourceVersion);
            Notify(def, new StoreEvent(WatchEventType.Deleted, gone, current));
        }
        catch (ApiException e) when (e.Code is 404 or 409)
        {
            // gone already or changed: the next pass decides again
        }
    }

    /// <summary>Kinds with a spec/status split (and every custom resource) track metadata.generation; ConfigMaps and the like do not.</summary>
    private static bool HasGeneration(ResourceDefinition def) => !def.BuiltIn || def.Subresources.Contains("status");

    private static bool IsFinished(JsonObject pod) => (string?)pod["status"]?["phase"] is "Succeeded" or "Failed";

    private async Task<JsonObject> AdmitAsync(UserInfo user, ResourceDefinition def, string operation, JsonObject obj, JsonObject? old,
        WriteOptions opts, CancellationToken ct)
    {
        Defaulter.Apply(obj, def);
        var mutated = await webhooks.AdmitAsync(user, def, operation, obj, old, opts.DryRun, ct) ?? obj;
        if (!ReferenceEquals(mutated, obj))
        {
            Defaulter.Apply(mutated, def);
        }

        var meta = Metadata(mutated);
        ObjectValidator.ValidateObjectMeta(mutated, def.Namespaced);
        if (def.Schema is { } schema)
        {
            var result = SchemaValidator.Validate(mutated, schema, opts.FieldValidation);
            if (!result.IsValid)
            {
                throw SchemaValidator.ToException(result, def.Kind, (string?)meta["name"] ?? "");
            }

            foreach (var w in result.Warnings)
            {
                RequestWarnings.Add(w);
            }
        }

        await webhooks.ValidateAsync(user, def, operation, mutated, old, opts.DryRun, ct);
        return mutated;
    }

    private void RecordManager(JsonObject? old, JsonObject next, WriteOptions opts, string operation, string? subresource = null)
    {
        if (opts.FieldManager.Length == 0)
        {
            return;
        }

        Metadata(next)["managedFields"] = ServerSideApply.RecordUpdate(old, next, opts.FieldManager, operation, time.GetUtcNow(), subresource);
    }

    /// <summary>For /status only status is taken from the request; for the main resource, status is kept as stored when the kind has a status subresource.</summary>
    private static JsonObject MergeForSubresource(ResourceDefinition def, JsonObject old, JsonObject next, string subresource)
    {
        if (subresource == "status")
        {
            var result = old.DeepClone().AsObject();
            result["status"] = next["status"]?.DeepClone();
            // Metadata labels/annotations may not change through /status, but the resourceVersion precondition is honoured.
            return result;
        }

        if (subresource.Length == 0 && def.Subresources.Contains("status") && !(def.Group.Length == 0 && def.Kind is "Node" or "Namespace"))
        {
            var result = next.DeepClone().AsObject();
            if (old["status"] is { } s)
            {
                result["status"] = s.DeepClone();
            }
            else
            {
                result.Remove("status");
            }

            return result;
        }

        return next.DeepClone().AsObject();
    }

    private static JsonObject StripVolatile(JsonObject o)
    {
        var c = o.DeepClone().AsObject();
        if (c["metadata"] is JsonObject m)
        {
            m.Remove("resourceVersion");
            m.Remove("managedFields");
        }

        return c;
    }

    /// <summary>Generation moves when anything but metadata and status changes.</summary>
    private static bool SpecChanged(JsonObject old, JsonObject next)
    {
        foreach (var (k, v) in next)
        {
            if (k is "metadata" or "status" or "apiVersion" or "kind")
            {
                continue;
            }

            if (!JsonNode.DeepEquals(v, old[k]))
            {
                return true;
            }
        }

        return old.Any(kv => kv.Key is not ("metadata" or "status" or "apiVersion" or "kind") && !next.ContainsKey(kv.Key));
    }

    private static void ResetStatusOnCreate(ResourceDefinition def, JsonObject obj)
    {
        if (!def.Subresources.Contains("status"))
        {
            return;
        }

        if (def.Group.Length == 0)
        {
            switch (def.Kind)
            {
                case "Node":
                    return;
                case "Pod":
                    obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(obj) };
                    return;
                case "Namespace":
                    obj["status"] = new JsonObject { ["phase"] = "Active" };
                    return;
            }
        }

        obj.Remove("status");
    }

    private static string QosClass(JsonObject pod)
    {
        var containers = pod["spec"]?["containers"] as JsonArray ?? [];
        var any = false;
        var guaranteed = containers.Count > 0;
        foreach (var c in containers.OfType<JsonObject>())
        {
            var req = c["resources"]?["requests"] as JsonObject;
            var lim = c["resources"]?["limits"] as JsonObject;
            any |= (req?.Count ?? 0) > 0 || (lim?.Count ?? 0) > 0;
            guaranteed &= lim?["cpu"] is not null && lim["memory"] is not null
                && (req is null || ((req["cpu"]?.ToString() ?? lim["cpu"]!.ToString()) == lim["cpu"]!.ToString()
                    && (req["memory"]?.ToString() ?? lim["memory"]!.ToString()) == lim["memory"]!.ToString()));
        }

        return guaranteed ? "Guaranteed" : any ? "Burstable" : "BestEffort";
    }

    private void CheckTypeMeta(ResourceDefinition def, JsonObject obj)
    {
        var apiVersion = (string?)obj["apiVersion"];
        var kind = (string?)obj["kind"];
        if (string.IsNullOrEmpty(kind))
        {
            obj["kind"] = def.Kind;
        }
        else if (kind != def.Kind)
        {
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({def.ApiVersion}) or kind {kind} is not {def.Kind}");
        }

        if (string.IsNullOrEmpty(apiVersion))
        {
            obj["apiVersion"] = def.ApiVersion;
        }
        else if (apiVersion != def.ApiVersion)
        {
            // Another served version of the same group is converted by renaming only (no schema change here).
            var (g, _) = ResourceRegistry.SplitApiVersion(apiVersion);
            if (g != def.Group)
            {
                throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({def.ApiVersion})");
            }

            obj["apiVersion"] = def.ApiVersion;
        }

        if (obj["metadata"] is null)
        {
            obj["metadata"] = new JsonObject();
        }
        else if (obj["metadata"] is not JsonObject)
        {
            throw ApiException.BadRequest("metadata must be an object");
        }
    }

    private static string ResolveNamespace(ResourceDefinition def, string urlNamespace, JsonObject meta)
    {
        var bodyNs = (string?)meta["namespace"];
        if (!def.Namespaced)
        {
            meta.Remove("namespace");
            return "";
        }

        if (!string.IsNullOrEmpty(bodyNs) && urlNamespace.Length > 0 && bodyNs != urlNamespace)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        var ns = urlNamespace.Length > 0 ? urlNamespace : bodyNs ?? "";
        if (ns.Length == 0)
        {
            throw ApiException.BadRequest("an empty namespace may not be set during creation");
        }

        meta["namespace"] = ns;
        return ns;
    }

    private void RequireLiveNamespace(string ns)
    {
        var nsDef = registry.Find("", "v1", "namespaces")!;
        var n = store.Get(nsDef.GroupResource, "", ns) ?? throw new ApiException(404, "NotFound", $"namespaces \"{ns}\" not found",
            new JsonObject { ["name"] = ns, ["kind"] = "namespaces" });
        if (n.ToJsonObject()["metadata"]?["deletionTimestamp"] is not null)
        {
            throw new ApiException(403, "Forbidden", $"unable to create new content in namespace {ns} because it is being terminated");
        }
    }

    private void Notify(ResourceDefinition def, StoreEvent e)
    {
        try
        {
            Changed?.Invoke(def, e);
        }
        catch (Exception ex)
        {
            log.LogError(ex, "A change handler failed for {Resource} {Key}", def.GroupResource, e.Object.Key);
        }
    }

    public static JsonObject Metadata(JsonObject obj) => obj["metadata"] as JsonObject
        ?? (JsonObject)(obj["metadata"] = new JsonObject());

    public static ApiException NotFound(ResourceDefinition def, string name) =>
        new(404, "NotFound", $"{def.GroupResource} \"{name}\" not found",
            new JsonObject { ["name"] = name, ["group"] = def.Group, ["kind"] = def.Plural });

    private static JsonObject Cause(string reason, string message, string field) => new()
    {
        ["causes"] = new JsonArray(new JsonObject { ["reason"] = reason, ["message"] = message, ["field"] = field }),
    };

    private string Now() => KubeTime.Now(time);

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[Random.Shared.Next(alphabet.Length)];
            }
        });
    }
}

internal static class PatchTypes
{
    public const string Json = "application/json-patch+json";
    public const string Merge = "application/merge-patch+json";
    public const string StrategicMerge = "application/strategic-merge-patch+json";
    public const string Apply = "application/apply-patch+yaml";
}

/// <summary>Warnings collected while serving one request, sent back as <c>Warning</c> headers.</summary>
internal static class RequestWarnings
{
    private static readonly AsyncLocal<List<string>?> Current = new();

    public static void Begin() => Current.Value = [];

    public static void Add(string warning) => Current.Value?.Add(warning);

    public static IReadOnlyList<string> Take()
    {
        var w = Current.Value ?? [];
        Current.Value = null;
        return w;
    }
}
