using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Runai.Sim.Api.Admission;
using Runai.Sim.Api.Rbac;

namespace Runai.Sim.Api;

internal sealed partial class ApiServer
{
    /// <summary>pods/binding: what a scheduler calls to place a pod on a node.</summary>
    private async Task BindAsync(HttpContext ctx, UserInfo user, ResourceDefinition def, string ns, string name)
    {
        var binding = await ReadBodyAsync(ctx) as JsonObject ?? throw ApiException.BadRequest("a Binding object is required");
        var node = (string?)binding["target"]?["name"];
        if (string.IsNullOrEmpty(node) || ((string?)binding["target"]?["kind"] ?? "Node") != "Node")
        {
            throw ApiException.Invalid($"Binding \"{name}\" is invalid: target.name: Required value: a Node must be named",
                new JsonObject { ["name"] = name, ["kind"] = "Binding" });
        }

        var bodyName = (string?)binding["metadata"]?["name"];
        if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        ops.Mutate(def, ns, name, pod =>
        {
            var spec = pod["spec"] as JsonObject ?? [];
            if ((string?)spec["nodeName"] is { Length: > 0 } bound)
            {
                throw ApiException.Conflict($"Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is already assigned to node \"{bound}\"");
            }

            if (pod["metadata"]?["deletionTimestamp"] is not null)
            {
                throw ApiException.Conflict($"Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is being deleted, cannot be assigned to a host");
            }

            spec["nodeName"] = node;
            var status = pod["status"] as JsonObject ?? (JsonObject)(pod["status"] = new JsonObject());
            SetCondition(status, "PodScheduled", "True", null, null, time);
            return pod;
        }, manager: user.Name.StartsWith("system:serviceaccount:", StringComparison.Ordinal) ? user.Name.Split(':')[^1] : "scheduler");

        await WriteJsonAsync(ctx, 201, SuccessStatus());
    }

    /// <summary>pods/eviction: a delete that honours PodDisruptionBudgets (429 when one would be violated).</summary>
    private async Task EvictAsync(HttpContext ctx, UserInfo user, ResourceDefinition def, string ns, string name)
    {
        var eviction = await ReadBodyAsync(ctx) as JsonObject ?? throw ApiException.BadRequest("an Eviction object is required");
        var pod = ops.Get(def, ns, name);
        var podObj = pod.ToJsonObject();
        if ((string?)podObj["status"]?["phase"] is not ("Succeeded" or "Failed"))
        {
            foreach (var pdb in ops.Store.List("poddisruptionbudgets.policy", ns).Items)
            {
                var budget = pdb.ToJsonObject();
                if (!LabelSelector.FromObject(budget["spec"]?["selector"] as JsonObject).Matches(pod.Labels) || budget["spec"]?["selector"] is null)
                {
                    continue;
                }

                if (!DisruptionAllowed(budget, ns))
                {
                    throw new ApiException(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.",
                        new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "DisruptionBudget", ["message"] = $"The disruption budget {pdb.Name} needs more healthy pods", ["field"] = "" }) });
                }
            }
        }

        var deleteOptions = eviction["deleteOptions"] as JsonObject;
        await ops.DeleteAsync(user, def, ns, name, new DeleteOptions
        {
            GracePeriodSeconds = (long?)deleteOptions?["gracePeriodSeconds"],
            PreconditionUid = (string?)deleteOptions?["preconditions"]?["uid"],
        }, ctx.RequestAborted);
        await WriteJsonAsync(ctx, 201, SuccessStatus());
    }

    /// <summary>Evaluates a PodDisruptionBudget against the healthy pods it selects now.</summary>
    private bool DisruptionAllowed(JsonObject budget, string ns)
    {
        var selector = LabelSelector.FromObject(budget["spec"]?["selector"] as JsonObject);
        var pods = ops.Store.List("pods", ns).Items.Where(p => selector.Matches(p.Labels)).Select(p => p.ToJsonObject()).ToList();
        var healthy = pods.Count(Cluster.WorkloadObjects.IsReady);
        var expected = pods.Count;
        int Resolve(JsonNode? v) => v is null ? -1
            : v.GetValueKind() == System.Text.Json.JsonValueKind.Number ? (int)v
            : (int)Math.Ceiling(expected * double.Parse(v.ToString().TrimEnd('%'), CultureInfo.InvariantCulture) / 100);
        var minAvailable = Resolve(budget["spec"]?["minAvailable"]);
        var maxUnavailable = Resolve(budget["spec"]?["maxUnavailable"]);
        if (minAvailable >= 0)
        {
            return healthy - 1 >= minAvailable;
        }

        return maxUnavailable < 0 || expected - (healthy - 1) <= maxUnavailable;
    }

    /// <summary>serviceaccounts/token (TokenRequest): issues a bearer token for that service account.</summary>
    private async Task TokenRequestAsync(HttpContext ctx, ResourceDefinition def, string ns, string name)
    {
        ops.Get(def, ns, name);
        var request = await ReadBodyAsync(ctx) as JsonObject ?? new JsonObject();
        var seconds = (long?)request["spec"]?["expirationSeconds"] ?? 3600;
        var token = authn.IssueServiceAccountToken(ns, name);
        request["apiVersion"] = "authentication.k8s.io/v1";
        request["kind"] = "TokenRequest";
        request["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns };
        request["status"] = new JsonObject
        {
            ["token"] = token,
            ["expirationTimestamp"] = KubeTime.Format(time.GetUtcNow().AddSeconds(seconds)),
        };
        await WriteJsonAsync(ctx, 201, request);
    }

    /// <summary>pods/log: the container's log file, with tailLines, sinceSeconds, previous, timestamps and follow.</summary>
    private async Task PodLogAsync(HttpContext ctx, ResourceDefinition def, string ns, string name)
    {
        var pod = ops.Get(def, ns, name).ToJsonObject();
        var containers = (pod["spec"]?["containers"] as JsonArray ?? []).Select(c => (string?)c?["name"] ?? "").ToList();
        var container = ctx.Request.Query["container"].ToString();
        if (container.Length == 0)
        {
            if (containers.Count != 1)
            {
                throw ApiException.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(' ', containers)}]");
            }

            container = containers[0];
        }
        else if (!containers.Contains(container))
        {
            throw ApiException.BadRequest($"container {container} is not valid for pod {name}");
        }

        var previous = IsTrue(ctx.Request.Query["previous"]);
        var file = options.PodLogDirectory is null ? null
            : Path.Combine(options.PodLogDirectory, $"{ns}_{name}_{container}{(previous ? ".previous" : "")}.log");
        if ((string?)pod["status"]?["phase"] == "Pending" && (file is null || !File.Exists(file)))
        {
            throw ApiException.BadRequest($"container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating");
        }

        if (previous && (file is null || !File.Exists(file)))
        {
            throw ApiException.BadRequest($"previous terminated container \"{container}\" in pod \"{name}\" not found");
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain";
        if (file is null || !File.Exists(file))
        {
            return;
        }

        var tail = ParseLong(ctx.Request.Query["tailLines"], "tailLines");
        var lines = await ReadSharedLinesAsync(file, ctx.RequestAborted);
        IEnumerable<string> selected = tail is { } n ? lines.Skip(Math.Max(0, lines.Count - (int)n)) : lines;
        var timestamps = IsTrue(ctx.Request.Query["timestamps"]);
        foreach (var line in selected)
        {
            await ctx.Response.WriteAsync((timestamps ? line : StripTimestamp(line)) + "\n", ctx.RequestAborted);
        }

        if (!IsTrue(ctx.Request.Query["follow"]))
        {
            return;
        }

        // follow: stream what is appended until the client leaves or the pod is gone.
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(0, SeekOrigin.End);
        using var reader = new StreamReader(stream);
        while (!ctx.RequestAborted.IsCancellationRequested && ops.Store.Get(def.GroupResource, ns, name) is not null)
        {
            var line = await reader.ReadLineAsync(ctx.RequestAborted);
            if (line is null)
            {
                await Task.Delay(200, ctx.RequestAborted);
                continue;
            }

            await ctx.Response.WriteAsync((timestamps ? line : StripTimestamp(line)) + "\n", ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        }
    }

    /// <summary>Log files carry an RFC 3339 timestamp and a space before each line, as the kubelet's CRI logs do.</summary>
    private static string StripTimestamp(string line)
    {
        var space = line.IndexOf(' ');
        return space > 0 && DateTimeOffset.TryParse(line[..space], CultureInfo.InvariantCulture, DateTimeStyles.None, out _) ? line[(space + 1)..] : line;
    }

    private static async Task<List<string>> ReadSharedLinesAsync(string file, CancellationToken ct)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    private static JsonObject Scale(JsonObject obj) => new()
    {
        ["kind"] = "Scale",
        ["apiVersion"] = "autoscaling/v1",
        ["metadata"] = new JsonObject
        {
            ["name"] = obj["metadata"]?["name"]?.DeepClone(),
            ["namespace"] = obj["metadata"]?["namespace"]?.DeepClone(),
            ["uid"] = obj["metadata"]?["uid"]?.DeepClone(),
            ["resourceVersion"] = obj["metadata"]?["resourceVersion"]?.DeepClone(),
            ["creationTimestamp"] = obj["metadata"]?["creationTimestamp"]?.DeepClone(),
        },
        ["spec"] = new JsonObject { ["replicas"] = (int?)obj["spec"]?["replicas"] ?? 1 },
        ["status"] = new JsonObject
        {
            ["replicas"] = (int?)obj["status"]?["replicas"] ?? 0,
            ["selector"] = SelectorText(obj["spec"]?["selector"] as JsonObject),
        },
    };

    private static string SelectorText(JsonObject? selector) =>
        string.Join(',', (selector?["matchLabels"] as JsonObject ?? []).Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>scale (PUT or PATCH): sets spec.replicas of the Deployment, ReplicaSet or StatefulSet.</summary>
    private async Task ScaleWriteAsync(HttpContext ctx, UserInfo user, ResourceDefinition def, string ns, string name, string verb)
    {
        var body = await ReadBodyAsync(ctx) ?? throw ApiException.BadRequest("a Scale object is required");
        JsonObject scale;
        if (verb == "patch")
        {
            var contentType = (ctx.Request.ContentType ?? "").Split(';')[0].Trim();
            var current = Scale(ops.Get(def, ns, name).ToJsonObject());
            scale = contentType == PatchTypes.Json ? Patching.JsonPatch.Apply(current, body) : Patching.JsonMergePatch.Apply(current, body);
        }
        else
        {
            scale = body as JsonObject ?? throw ApiException.BadRequest("a Scale object is required");
        }

        var replicas = scale["spec"]?["replicas"] is JsonValue v && v.TryGetValue<int>(out var r) && r >= 0
            ? r
            : throw ApiException.Invalid($"Scale \"{name}\" is invalid: spec.replicas: Invalid value: must be greater than or equal to 0");
        var updated = ops.Mutate(def, ns, name, o =>
        {
            ((JsonObject)(o["spec"] ??= new JsonObject()))["replicas"] = replicas;
            return o;
        }, WriteOptions(ctx).FieldManager);
        await WriteJsonAsync(ctx, 200, Scale(updated));
    }

    /// <summary>
    /// The service proxy: <c>services/NAME[:PORT]/proxy/PATH</c> is forwarded to the Service's endpoints,
    /// which in the simulated cluster are the loopback addresses where the components really listen.
    /// </summary>
    private async Task ProxyAsync(HttpContext ctx, ResourceDefinition def, string ns, string nameAndPort, string[] subPath)
    {
        if (def.Kind != "Service")
        {
            throw new ApiException(503, "ServiceUnavailable", $"the simulated cluster proxies only to services; pod {nameAndPort} has no reachable address");
        }

        var parts = nameAndPort.Split(':');
        var (scheme, name, port) = parts.Length switch
        {
            1 => ("http", parts[0], (string?)null),
            2 => ("http", parts[0], parts[1]),
            _ => (parts[0], parts[1], parts[2]),
        };
        ops.Get(def, ns, name);
        var target = ServiceEndpoints.Resolve(ops.Store, ns, name, port)
            ?? throw new ApiException(503, "ServiceUnavailable", $"no endpoints available for service \"{nameAndPort}\"");
        var url = $"{scheme}://{target}/{string.Join('/', subPath)}{ctx.Request.QueryString}";
        using var request = new HttpRequestMessage(new HttpMethod(ctx.Request.Method), url);
        if (ctx.Request.ContentLength is > 0)
        {
            request.Content = new StreamContent(ctx.Request.Body);
            if (ctx.Request.ContentType is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        foreach (var accept in ctx.Request.Headers.Accept)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        HttpResponseMessage response;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
            cts.CancelAfter(TimeSpan.FromSeconds(30));
            response = await _proxyClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ctx.RequestAborted.IsCancellationRequested)
        {
            throw new ApiException(503, "ServiceUnavailable", $"error trying to reach service: {e.Message}");
        }

        using (response)
        {
            ctx.Response.StatusCode = (int)response.StatusCode;
            foreach (var h in response.Content.Headers)
            {
                if (h.Key is "Content-Type" or "Content-Encoding")
                {
                    ctx.Response.Headers[h.Key] = h.Value.ToArray();
                }
            }

            await response.Content.CopyToAsync(ctx.Response.Body, ctx.RequestAborted);
        }
    }

    private static JsonObject SuccessStatus() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["code"] = 201,
    };

    internal static void SetCondition(JsonObject status, string type, string value, string? reason, string? message, TimeProvider time)
    {
        var conditions = status["conditions"] as JsonArray ?? (JsonArray)(status["conditions"] = new JsonArray());
        var now = KubeTime.Now(time);
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);
        if (existing is null)
        {
            existing = new JsonObject { ["type"] = type };
            conditions.Add(existing);
        }

        if ((string?)existing["status"] != value)
        {
            existing["lastTransitionTime"] = now;
        }

        existing["status"] = value;
        existing["lastProbeTime"] = null;
        if (reason is not null)
        {
            existing["reason"] = reason;
        }

        if (message is not null)
        {
            existing["message"] = message;
        }
    }
}
