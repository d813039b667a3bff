using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Runai.Core.Yaml;
using Runai.Sim.Api.OpenApi;
using Runai.Sim.Api.Rbac;
using Runai.Sim.Api.Storage;
using Runai.Sim.Api.Tables;
using Runai.Sim.Api.Validation;

namespace Runai.Sim.Api;

/// <summary>Tunables of the simulated API server.</summary>
internal sealed record ApiServerOptions
{
    /// <summary>How often a watch that asked for bookmarks gets one (a real server sends one about every minute).</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Largest request body accepted (kube-apiserver: 3 MiB).</summary>
    public long MaxBodyBytes { get; init; } = 3 * 1024 * 1024;
    /// <summary>Changes kept per resource for watches to resume from.</summary>
    public int HistoryPerResource { get; init; } = 20_000;
    /// <summary>Directory holding pod logs as files named NAMESPACE_POD_CONTAINER.log.</summary>
    public string? PodLogDirectory { get; init; }
}

/// <summary>
/// The HTTP face of the simulated Kubernetes API: discovery, OpenAPI, CRUD, watch, Table output, subresources,
/// service proxy, access reviews, authentication and RBAC. One terminal middleware; routing is by path shape.
/// </summary>
internal sealed partial class ApiServer(
    ApiOperations ops,
    Authentication authn,
    RbacAuthorizer authz,
    ApiServerOptions options,
    TimeProvider time,
    IHttpClientFactory? httpFactory,
    ILogger<ApiServer> log)
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };
    private readonly HttpClient _proxyClient = httpFactory?.CreateClient("proxy") ?? new HttpClient();
    private long _requests;

    public long RequestCount => Interlocked.Read(ref _requests);

    public async Task HandleAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _requests);
        RequestWarnings.Begin();
        ctx.Response.Headers["Audit-Id"] = Guid.NewGuid().ToString();
        try
        {
            await DispatchAsync(ctx);
        }
        catch (ApiException e)
        {
            await WriteStatusAsync(ctx, e);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // client went away
        }
        catch (Exception e)
        {
            log.LogError(e, "Unhandled error serving {Method} {Path}", ctx.Request.Method, ctx.Request.Path);
            await WriteStatusAsync(ctx, new ApiException(500, "InternalError", $"Internal error occurred: {e.Message}"));
        }
    }

    private async Task DispatchAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "/";
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);

        // Paths anyone may read, as system:public-info-viewer allows.
        switch (path.TrimEnd('/'))
        {
            case "/version":
                await WriteJsonAsync(ctx, 200, VersionInfo());
                return;
            case "/healthz" or "/livez" or "/readyz":
                ctx.Response.ContentType = "text/plain";
                await ctx.Response.WriteAsync("ok");
                return;
        }

        var user = authn.Authenticate(ctx.Request.Headers.Authorization.ToString())
            ?? throw new ApiException(401, "Unauthorized", "Unauthorized");
        user = Impersonation(ctx, user);

        if (segments.Length == 0 || segments[0] is not ("api" or "apis"))
        {
            await NonResourceAsync(ctx, user, path, segments);
            return;
        }

        if (segments[0] == "api")
        {
            if (segments.Length == 1)
            {
                Authorize(user, new RequestAttributes("get", "", "", "", "", "", "/api"));
                await WriteJsonAsync(ctx, 200, ops.Registry.CoreVersions());
                return;
            }

            await ResourceRequestAsync(ctx, user, "", segments[1], segments[2..]);
            return;
        }

        // /apis, /apis/{group}, /apis/{group}/{version}/...
        if (segments.Length == 1)
        {
            Authorize(user, new RequestAttributes("get", "", "", "", "", "", "/apis"));
            await WriteJsonAsync(ctx, 200, ops.Registry.GroupList());
            return;
        }

        if (segments.Length == 2)
        {
            Authorize(user, new RequestAttributes("get", "", "", "", "", "", path));
            var group = ops.Registry.Group(segments[1]) ?? throw ApiException.NotFound($"the server could not find the requested resource");
            await WriteJsonAsync(ctx, 200, group);
            return;
        }

        await ResourceRequestAsync(ctx, user, segments[1], segments[2], segments[3..]);
    }

    private async Task NonResourceAsync(HttpContext ctx, UserInfo user, string path, string[] segments)
    {
        Authorize(user, new RequestAttributes(ctx.Request.Method.ToLowerInvariant(), "", "", "", "", "", path));
        if (await TryAuditEndpointAsync(ctx, path))
        {
            return;
        }

        if (segments.Length >= 2 && segments[0] == "openapi" && segments[1] == "v3")
        {
            var defs = ops.Registry.All;
            if (segments.Length == 2)
            {
                await WriteJsonAsync(ctx, 200, OpenApiV3.V3Index(defs));
                return;
            }

            var gvPath = string.Join('/', segments[2..]);
            var doc = OpenApiV3.V3GroupVersion(gvPath, defs);
            await WriteJsonAsync(ctx, 200, doc);
            return;
        }

        throw ApiException.NotFound("the server could not find the requested resource");
    }

    private async Task ResourceRequestAsync(HttpContext ctx, UserInfo user, string group, string version, string[] rest)
    {
        var query = ctx.Request.Query;
        var watch = IsTrue(query["watch"]);
        if (rest.Length > 0 && rest[0] == "watch")
        {
            // The legacy /watch/ path prefix.
            watch = true;
            rest = rest[1..];
        }

        if (rest.Length == 0)
        {
            Authorize(user, new RequestAttributes("get", "", "", "", "", "", ctx.Request.Path.Value));
            var list = ops.Registry.ResourceList(group, version) ?? throw ApiException.NotFound("the server could not find the requested resource");
            await WriteJsonAsync(ctx, 200, list);
            return;
        }

        string ns = "", plural, name = "", sub = "";
        string[] subPath = [];
        if (rest[0] == "namespaces" && group.Length == 0 && rest.Length >= 3 && rest[2] is "status" or "finalize" && rest.Length == 3)
        {
            (plural, name, sub) = ("namespaces", rest[1], rest[2]);
        }
        else if (rest[0] == "namespaces" && rest.Length >= 3)
        {
            ns = rest[1];
            plural = rest[2];
            if (rest.Length >= 4)
            {
                name = rest[3];
            }

            if (rest.Length >= 5)
            {
                sub = rest[4];
                subPath = rest[5..];
            }
        }
        else
        {
            plural = rest[0];
            if (rest.Length >= 2)
            {
                name = rest[1];
            }

            if (rest.Length >= 3)
            {
                sub = rest[2];
                subPath = rest[3..];
            }
        }

        var def = ops.Registry.Find(group, version, plural)
            ?? throw ApiException.NotFound("the server could not find the requested resource");
        if (!def.Namespaced && ns.Length > 0)
        {
            throw ApiException.NotFound("the server could not find the requested resource");
        }

        if (sub.Length > 0 && !def.Subresources.Contains(sub))
        {
            throw ApiException.NotFound("the server could not find the requested resource");
        }

        var method = ctx.Request.Method;
        var verb = (method, name.Length > 0, watch) switch
        {
            ("GET", false, true) => "watch",
            ("GET", true, true) => "watch",
            ("GET", false, false) => "list",
            ("GET", true, false) => "get",
            ("POST", _, _) => "create",
            ("PUT", _, _) => "update",
            ("PATCH", _, _) => "patch",
            ("DELETE", false, _) => "deletecollection",
            ("DELETE", true, _) => "delete",
            _ => throw new ApiException(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource"),
        };
        if (sub == "proxy")
        {
            verb = method.ToLowerInvariant() switch { "get" => "get", "post" => "create", "put" => "update", "patch" => "patch", "delete" => "delete", _ => "get" };
        }

        if (!def.Verbs.Contains(verb) && sub.Length == 0 && !(verb == "watch" && def.Verbs.Contains("list")))
        {
            throw new ApiException(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource");
        }

        Authorize(user, new RequestAttributes(verb, group, plural, sub, ns, name, null));

        switch (verb, sub)
        {
            case ("list", ""):
                await ListAsync(ctx, def, ns);
                return;
            case ("watch", ""):
                await WatchAsync(ctx, def, ns, name);
                return;
            case ("get", ""):
                await GetAsync(ctx, def, ns, name);
                return;
            case ("get", "status"):
                await GetAsync(ctx, def, ns, name);
                return;
            case ("get", "log"):
                await PodLogAsync(ctx, def, ns, name);
                return;
            case ("get", "scale"):
                await WriteJsonAsync(ctx, 200, Scale(ops.Get(def, ns, name).ToJsonObject()));
                return;
            case (_, "proxy"):
                await ProxyAsync(ctx, def, ns, name, subPath);
                return;
            case ("create", "binding"):
                await BindAsync(ctx, user, def, ns, name);
                return;
            case ("create", "eviction"):
                await EvictAsync(ctx, user, def, ns, name);
                return;
            case ("create", "token"):
                await TokenRequestAsync(ctx, def, ns, name);
                return;
            case ("create", ""):
                if (def.Group == "authorization.k8s.io")
                {
                    var review = await ReadBodyAsync(ctx) as JsonObject ?? throw ApiException.BadRequest("an access review must be an object");
                    // The type comes from the URL; typed clients may leave apiVersion and kind out.
                    review["apiVersion"] ??= def.ApiVersion;
                    review["kind"] ??= def.Kind;
                    if (ns.Length > 0)
                    {
                        review["spec"] ??= new JsonObject();
                        review["spec"]!["resourceAttributes"] ??= new JsonObject();
                        review["spec"]!["resourceAttributes"]!["namespace"] = ns;
                    }

                    await WriteJsonAsync(ctx, 201, authz.AnswerAccessReview(review, user));
                    return;
                }

                if (def.Group == "authentication.k8s.io")
                {
                    await WriteJsonAsync(ctx, 201, SelfSubjectReview(user));
                    return;
                }

                await CreateAsync(ctx, user, def, ns);
                return;
            case ("update", "" or "status" or "finalize"):
                await UpdateAsync(ctx, user, def, ns, name, sub == "finalize" ? "" : sub);
                return;
            case ("update" or "patch", "scale"):
                await ScaleWriteAsync(ctx, user, def, ns, name, verb);
                return;
            case ("patch", "" or "status"):
                await PatchAsync(ctx, user, def, ns, name, sub);
                return;
            case ("delete", ""):
                await DeleteAsync(ctx, user, def, ns, name);
                return;
            case ("deletecollection", ""):
                await DeleteCollectionAsync(ctx, user, def, ns);
                return;
            default:
                throw new ApiException(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        }
    }

    // ---- reads ----

    private async Task GetAsync(HttpContext ctx, ResourceDefinition def, string ns, string name)
    {
        var stored = ops.Get(def, ns, name);
        if (WantsTable(ctx, out var include))
        {
            var table = TableRenderer.Render(def, [stored.ToJsonObject()], stored.ResourceVersion.ToString(CultureInfo.InvariantCulture), null, include, time.GetUtcNow());
            await WriteJsonAsync(ctx, 200, table);
            return;
        }

        await WriteRawAsync(ctx, 200, stored.Json);
    }

    private async Task ListAsync(HttpContext ctx, ResourceDefinition def, string ns)
    {
        var q = ctx.Request.Query;
        var labels = LabelSelector.Parse(q["labelSelector"]);
        var fields = FieldSelector.Parse(q["fieldSelector"]);
        var limit = ParseLong(q["limit"], "limit") ?? 0;
        var (all, rev) = ops.Store.List(def.GroupResource, ns.Length > 0 ? ns : null);

        string? startAfter = null;
        var listRev = rev;
        if (!string.IsNullOrEmpty(q["continue"]))
        {
            (startAfter, listRev) = ContinueToken.Decode(q["continue"]!);
        }

        var page = new List<StoredObject>();
        string? next = null;
        long remaining = 0;
        var from = 0;
        if (startAfter is not null)
        {
            from = ObjectStore.LowerBound(all, startAfter);
            if (from < all.Count && all[from].Key == startAfter)
            {
                from++;
            }
        }

        for (var i = from; i < all.Count; i++)
        {
            var o = all[i];
            if (!labels.Matches(o.Labels) || !fields.Matches(o))
            {
                continue;
            }

            if (limit > 0 && page.Count >= limit)
            {
                // As the real server: remainingItemCount only when no selector filters the rest.
                remaining = labels.IsEmpty && fields.IsEmpty ? all.Count - i : -1;
                break;
            }

            page.Add(o);
        }

        if (remaining != 0)
        {
            next = ContinueToken.Encode(page[^1].Key, listRev);
        }

        var rvText = listRev.ToString(CultureInfo.InvariantCulture);
        if (WantsTable(ctx, out var include))
        {
            var table = TableRenderer.Render(def, [.. page.Select(p => p.ToJsonObject())], rvText, next, include, time.GetUtcNow());
            await WriteJsonAsync(ctx, 200, table);
            return;
        }

        // Items are concatenated from their stored bytes: no re-serialization of 50,000 pods.
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        WriteWarnings(ctx);
        var head = new StringBuilder()
            .Append("{\"kind\":\"").Append(def.ListKind).Append("\",\"apiVersion\":\"").Append(def.ApiVersion)
            .Append("\",\"metadata\":{\"resourceVersion\":\"").Append(rvText).Append('"');
        if (next is not null)
        {
            head.Append(",\"continue\":\"").Append(next).Append('"');
            if (remaining > 0)
            {
                head.Append(",\"remainingItemCount\":").Append(remaining);
            }
        }

        head.Append("},\"items\":[");
        var body = ctx.Response.BodyWriter;
        await body.WriteAsync(Encoding.UTF8.GetBytes(head.ToString()));
        for (var i = 0; i < page.Count; i++)
        {
            if (i > 0)
            {
                await body.WriteAsync(","u8.ToArray());
            }

            await body.WriteAsync(page[i].Json);
        }

        await body.WriteAsync("]}"u8.ToArray());
    }

    // ---- writes ----

    private async Task CreateAsync(HttpContext ctx, UserInfo user, ResourceDefinition def, string ns)
    {
        var obj = await ReadBodyAsync(ctx) as JsonObject ?? throw ApiException.BadRequest("the request body must be a JSON or YAML object");
        var created = await ops.CreateAsync(user, def, ns, obj, WriteOptions(ctx), ctx.RequestAborted);
        await WriteJsonAsync(ctx, 201, created);
    }

    private async Task UpdateAsync(HttpContext ctx, UserInfo user, ResourceDefinition def, string ns, string name, string sub)
    {
        var obj = await ReadBodyAsync(ctx) as JsonObject ?? throw ApiException.BadRequest("the request body must be a JSON or YAML object");
        var updated = await ops.UpdateAsync(user, def, ns, name, sub, obj, WriteOptions(ctx), ctx.RequestAborted);
        await WriteJsonAsync(ctx, 200, updated);
    }

    private async Task PatchAsync(HttpContext ctx, UserInfo user, ResourceDefinition def, string ns, string name, string sub)
    {
        var contentType = (ctx.Request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        if (contentType is not (PatchTypes.Json or PatchTypes.Merge or PatchTypes.StrategicMerge or PatchTypes.Apply))
        {
            throw new ApiException(415, "UnsupportedMediaType",
                $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json");
        }

        var patch = await ReadBodyAsync(ctx, allowYaml: contentType == PatchTypes.Apply)
            ?? throw ApiException.BadRequest("the patch body is empty");
        var opts = WriteOptions(ctx);
        var created = contentType == PatchTypes.Apply && ops.Store.Get(def.GroupResource, ns, name) is null;
        var result = await ops.PatchAsync(user, def, ns, name, sub, contentType, patch, opts, ctx.RequestAborted);
        await WriteJsonAsync(ctx, created ? 201 : 200, result);
    }

    private async Task DeleteAsync(HttpContext ctx, UserInfo user, ResourceDefinition def, string ns, string name)
    {
        var opts = await DeleteOptionsAsync(ctx);
        var result = await ops.DeleteAsync(user, def, ns, name, opts, ctx.RequestAborted);
        await WriteJsonAsync(ctx, 200, result);
    }

    private async Task DeleteCollectionAsync(HttpContext ctx, UserInfo user, ResourceDefinition def, string ns)
    {
        var opts = await DeleteOptionsAsync(ctx);
        var labels = LabelSelector.Parse(ctx.Request.Query["labelSelector"]);
        var fields = FieldSelector.Parse(ctx.Request.Query["fieldSelector"]);
        var (all, _) = ops.Store.List(def.GroupResource, ns.Length > 0 ? ns : null);
        var deleted = new JsonArray();
        foreach (var o in all.Where(o => labels.Matches(o.Labels) && fields.Matches(o)))
        {
            try
            {
                deleted.Add(await ops.DeleteAsync(user, def, o.Namespace, o.Name, opts, ctx.RequestAborted));
            }
            catch (ApiException e) when (e.Code == 404)
            {
                // already gone
            }
        }

        await WriteJsonAsync(ctx, 200, new JsonObject
        {
            ["kind"] = def.ListKind,
            ["apiVersion"] = def.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = ops.Store.CurrentRevision.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        });
    }

    private async Task<DeleteOptions> DeleteOptionsAsync(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        JsonObject? body = null;
        if (ctx.Request.ContentLength is > 0 || ctx.Request.Headers.TransferEncoding.Count > 0)
        {
            body = await ReadBodyAsync(ctx) as JsonObject;
        }

        var policy = (string?)body?["propagationPolicy"] ?? q["propagationPolicy"].ToString();
        if (string.IsNullOrEmpty(policy))
        {
            policy = (bool?)body?["orphanDependents"] == true || IsTrue(q["orphanDependents"]) ? "Orphan" : "Background";
        }

        if (policy is not ("Background" or "Foreground" or "Orphan"))
        {
            throw ApiException.BadRequest($"propagationPolicy: Unsupported value: \"{policy}\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
        }

        return new DeleteOptions
        {
            DryRun = IsDryRun(ctx) || (body?["dryRun"] as JsonArray)?.Any(d => (string?)d == "All") == true,
            GracePeriodSeconds = (long?)body?["gracePeriodSeconds"] ?? ParseLong(q["gracePeriodSeconds"], "gracePeriodSeconds"),
            PropagationPolicy = policy,
            PreconditionUid = (string?)body?["preconditions"]?["uid"],
            PreconditionResourceVersion = long.TryParse((string?)body?["preconditions"]?["resourceVersion"], out var p) ? p : null,
        };
    }

    private WriteOptions WriteOptions(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        var mode = q["fieldValidation"].ToString() switch
        {
            "" or "Warn" => FieldValidation.Warn,
            "Strict" => FieldValidation.Strict,
            "Ignore" => FieldValidation.Ignore,
            var other => throw ApiException.BadRequest($"fieldValidation: Unsupported value: \"{other}\": supported values: \"Ignore\", \"Strict\", \"Warn\""),
        };
        var manager = q["fieldManager"].ToString();
        if (manager.Length > 128)
        {
            throw ApiException.BadRequest("fieldManager: Too long: must have at most 128 bytes");
        }

        if (manager.Length == 0)
        {
            // As the real server: default the manager from the user agent's program name.
            var agent = ctx.Request.Headers.UserAgent.ToString();
            manager = agent.Length > 0 ? agent.Split('/')[0] : "unknown";
        }

        return new WriteOptions
        {
            DryRun = IsDryRun(ctx),
            FieldManager = manager,
            FieldValidation = mode,
            Force = IsTrue(q["force"]),
        };
    }

    private static bool IsDryRun(HttpContext ctx)
    {
        var d = ctx.Request.Query["dryRun"].ToString();
        return d switch
        {
            "" => false,
            "All" => true,
            _ => throw ApiException.BadRequest($"dryRun: Unsupported value: \"{d}\": supported values: \"All\""),
        };
    }

    // ---- helpers ----

    private void Authorize(UserInfo user, RequestAttributes attrs)
    {
        var decision = authz.Authorize(user, attrs);
        Audit.Record(user, attrs, decision.Allowed);
        if (!decision.Allowed)
        {
            throw decision.ToForbidden();
        }
    }

    private UserInfo Impersonation(HttpContext ctx, UserInfo user)
    {
        var asUser = ctx.Request.Headers["Impersonate-User"].ToString();
        var asGroups = ctx.Request.Headers["Impersonate-Group"].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!).ToList();
        if (asUser.Length == 0 && asGroups.Count == 0)
        {
            return user;
        }

        return RbacAuthorizer.Impersonate(user, asUser.Length == 0 ? null : asUser, asGroups, authz);
    }

    private async Task<JsonNode?> ReadBodyAsync(HttpContext ctx, bool allowYaml = true)
    {
        if (ctx.Request.ContentLength > options.MaxBodyBytes)
        {
            throw new ApiException(413, "RequestEntityTooLarge", $"Request entity too large: limit is {options.MaxBodyBytes}");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await ctx.Request.Body.ReadAsync(chunk, ctx.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > options.MaxBodyBytes)
            {
                throw new ApiException(413, "RequestEntityTooLarge", $"Request entity too large: limit is {options.MaxBodyBytes}");
            }
        }

        if (buffer.Length == 0)
        {
            return null;
        }

        var bytes = buffer.ToArray();
        var contentType = (ctx.Request.ContentType ?? "application/json").Split(';')[0].Trim();
        if (contentType == Protobuf.KubeProtobuf.ContentType)
        {
            return Protobuf.KubeProtobuf.Decode(bytes);
        }

        if (contentType.Contains("protobuf", StringComparison.Ordinal) || contentType.Contains("cbor", StringComparison.Ordinal))
        {
            throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf");
        }

        var isYaml = contentType.EndsWith("yaml", StringComparison.Ordinal);
        if (isYaml && allowYaml)
        {
            try
            {
                return KubeYaml.ReadObjects(Encoding.UTF8.GetString(bytes)).FirstOrDefault();
            }
            catch (FormatException e)
            {
                throw ApiException.BadRequest($"error converting YAML to JSON: {e.Message}");
            }
        }

        try
        {
            return JsonNode.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"Object 'Kind' is missing in '{Truncate(Encoding.UTF8.GetString(bytes))}': couldn't get version/kind; json parse error: {e.Message}");
        }
    }

    private static string Truncate(string s) => s.Length > 100 ? s[..100] + "…" : s;

    private static bool WantsTable(HttpContext ctx, out string includeObject)
    {
        includeObject = ctx.Request.Query["includeObject"].ToString() is { Length: > 0 } inc ? inc : "Metadata";
        if (includeObject is not ("None" or "Metadata" or "Object"))
        {
            throw ApiException.BadRequest($"includeObject: Unsupported value: \"{includeObject}\": supported values: \"None\", \"Metadata\", \"Object\"");
        }

        foreach (var accept in ctx.Request.Headers.Accept.ToString().Split(','))
        {
            var parts = accept.Split(';').Select(p => p.Trim()).ToList();
            if (parts.Contains("as=Table") && parts.Contains("g=meta.k8s.io") && parts[0] is "application/json" or "*/*")
            {
                return true;
            }

            if (parts[0] is "application/json" && !parts.Any(p => p.StartsWith("as=", StringComparison.Ordinal)))
            {
                // A plain JSON alternative listed before any Table form wins.
                return false;
            }
        }

        return false;
    }

    private static bool IsTrue(Microsoft.Extensions.Primitives.StringValues v) => v.ToString() is "true" or "1" or "True";

    private static long? ParseLong(Microsoft.Extensions.Primitives.StringValues v, string name)
    {
        var s = v.ToString();
        if (s.Length == 0)
        {
            return null;
        }

        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : throw ApiException.BadRequest($"{name}: Invalid value: \"{s}\": must be a non-negative integer");
    }

    private async Task WriteStatusAsync(HttpContext ctx, ApiException e)
    {
        if (ctx.Response.HasStarted)
        {
            return;
        }

        if (e.Code >= 500)
        {
            log.LogWarning("{Method} {Path} → {Code}: {Message}", ctx.Request.Method, ctx.Request.Path, e.Code, e.Message);
        }

        if (e.Code == 401)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
        }

        await WriteJsonAsync(ctx, e.Code, e.ToStatus());
    }

    private static void WriteWarnings(HttpContext ctx)
    {
        foreach (var w in RequestWarnings.Take())
        {
            ctx.Response.Headers.Append("Warning", $"299 - \"{w.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }
    }

    private static async Task WriteJsonAsync(HttpContext ctx, int code, JsonNode body)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        WriteWarnings(ctx);
        await ctx.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body, Compact));
    }

    private static async Task WriteRawAsync(HttpContext ctx, int code, byte[] json)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        WriteWarnings(ctx);
        await ctx.Response.Body.WriteAsync(json);
    }

    private static JsonObject VersionInfo() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = "v1.32.4",
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-01-01T00:00:00Z",
        ["goVersion"] = "go1.23.8",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    private static JsonObject SelfSubjectReview(UserInfo user) => new()
    {
        ["apiVersion"] = "authentication.k8s.io/v1",
        ["kind"] = "SelfSubjectReview",
        ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
        ["status"] = new JsonObject
        {
            ["userInfo"] = new JsonObject
            {
                ["username"] = user.Name,
                ["groups"] = new JsonArray([.. user.Groups.Select(g => (JsonNode)g)]),
            },
        },
    };
}

/// <summary>Opaque list continuation: the last key served and the list's resourceVersion.</summary>
internal static class ContinueToken
{
    public static string Encode(string lastKey, long rv) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { v = "meta.k8s.io/v1", rv, start = lastKey })));

    public static (string LastKey, long Rv) Decode(string token)
    {
        try
        {
            var o = JsonNode.Parse(Convert.FromBase64String(token))!.AsObject();
            return ((string?)o["start"] ?? throw new FormatException(), (long?)o["rv"] ?? throw new FormatException());
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            throw ApiException.BadRequest("continue key is not valid: the encoded continue token could not be decoded");
        }
    }
}
