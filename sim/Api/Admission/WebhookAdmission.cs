using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Runai.Sim.Api.Patching;
using Runai.Sim.Api.Rbac;
using Runai.Sim.Api.Storage;

namespace Runai.Sim.Api.Admission;

/// <summary>
/// Calls the admission webhooks that MutatingWebhookConfiguration and ValidatingWebhookConfiguration objects register,
/// as kube-apiserver does: matching by rules, namespaceSelector and objectSelector; an AdmissionReview v1 POST;
/// the returned JSON patch applied; failurePolicy Fail or Ignore when the webhook cannot be reached.
/// </summary>
internal sealed class WebhookAdmission(ObjectStore store, ILogger<WebhookAdmission> log) : IDisposable
{
    private const string MutatingResource = "mutatingwebhookconfigurations.admissionregistration.k8s.io";
    private const string ValidatingResource = "validatingwebhookconfigurations.admissionregistration.k8s.io";
    // HttpClientHandler's callback is given the request (SocketsHttpHandler's gets only the SslStream), so each
    // webhook's own caBundle can decide trust.
    private readonly HttpClient _http = new(new HttpClientHandler { ServerCertificateCustomValidationCallback = ValidateAgainstBundle });

    /// <summary>Runs the mutating webhooks; returns the mutated object (or null when none applied).</summary>
    public async Task<JsonObject?> AdmitAsync(UserInfo user, ResourceDefinition def, string operation, JsonObject? obj, JsonObject? old,
        bool dryRun, CancellationToken ct)
    {
        JsonObject? current = obj;
        var changed = false;
        foreach (var (config, hook) in Matching(MutatingResource, def, operation, obj ?? old))
        {
            var response = await CallAsync(config, hook, user, def, operation, current, old, dryRun, ct);
            if (response?["patch"] is JsonValue patchValue && current is not null)
            {
                var patchType = (string?)response["patchType"] ?? "JSONPatch";
                if (patchType != "JSONPatch")
                {
                    throw new ApiException(500, "InternalError", $"Internal error occurred: webhook \"{Name(hook)}\" returned an unsupported patchType \"{patchType}\"");
                }

                JsonNode patch;
                try
                {
                    patch = JsonNode.Parse(Convert.FromBase64String((string)patchValue!))!;
                }
                catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
                {
                    throw new ApiException(500, "InternalError", $"Internal error occurred: webhook \"{Name(hook)}\" returned a malformed patch: {e.Message}");
                }

                current = JsonPatch.Apply(current, patch);
                changed = true;
                log.LogDebug("Webhook {Hook} patched {Kind} {Operation}", Name(hook), def.Kind, operation);
            }
        }

        return changed ? current : null;
    }

    /// <summary>Runs the validating webhooks; a denial throws.</summary>
    public async Task ValidateAsync(UserInfo user, ResourceDefinition def, string operation, JsonObject? obj, JsonObject? old,
        bool dryRun, CancellationToken ct)
    {
        foreach (var (config, hook) in Matching(ValidatingResource, def, operation, obj ?? old))
        {
            await CallAsync(config, hook, user, def, operation, obj, old, dryRun, ct);
        }
    }

    private IEnumerable<(JsonObject Config, JsonObject Hook)> Matching(string configResource, ResourceDefinition def, string operation, JsonObject? obj)
    {
        if (def.Group == "admissionregistration.k8s.io")
        {
            // As on a real server, webhook configurations are never themselves subject to webhooks.
            yield break;
        }

        var (configs, _) = store.List(configResource, null);
        if (configs.Count == 0)
        {
            yield break;
        }

        var ns = (string?)obj?["metadata"]?["namespace"] ?? "";
        IReadOnlyDictionary<string, string>? nsLabels = null;
        var objLabels = (obj?["metadata"]?["labels"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "")
            ?? new Dictionary<string, string>();
        foreach (var stored in configs)
        {
            var config = stored.ToJsonObject();
            foreach (var hook in (config["webhooks"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (!RulesMatch(hook["rules"] as JsonArray, def, operation))
                {
                    continue;
                }

                if (!LabelSelector.FromObject(hook["objectSelector"] as JsonObject).Matches(objLabels))
                {
                    continue;
                }

                if (def.Namespaced && hook["namespaceSelector"] is JsonObject nsSel)
                {
                    nsLabels ??= store.Get("namespaces", "", ns)?.Labels ?? new Dictionary<string, string>();
                    if (!LabelSelector.FromObject(nsSel).Matches(nsLabels))
                    {
                        continue;
                    }
                }

                yield return (config, hook);
            }
        }
    }

    private static bool RulesMatch(JsonArray? rules, ResourceDefinition def, string operation)
    {
        foreach (var rule in (rules ?? []).OfType<JsonObject>())
        {
            if (Has(rule["operations"], operation) && Has(rule["apiGroups"], def.Group) && Has(rule["apiVersions"], def.Version)
                && (Has(rule["resources"], def.Plural) || Has(rule["resources"], "*") || Has(rule["resources"], "*/*"))
                && ScopeMatches((string?)rule["scope"], def))
            {
                return true;
            }
        }

        return false;

        static bool Has(JsonNode? list, string value) =>
            list is JsonArray a && a.Any(v => (string?)v == value || (string?)v == "*");

        static bool ScopeMatches(string? scope, ResourceDefinition def) => scope switch
        {
            null or "*" => true,
            "Namespaced" => def.Namespaced,
            "Cluster" => !def.Namespaced,
            _ => false,
        };
    }

    private async Task<JsonObject?> CallAsync(JsonObject config, JsonObject hook, UserInfo user, ResourceDefinition def, string operation,
        JsonObject? obj, JsonObject? old, bool dryRun, CancellationToken ct)
    {
        var name = Name(hook);
        var failOpen = (string?)hook["failurePolicy"] == "Ignore";
        var timeout = TimeSpan.FromSeconds(Math.Clamp((int?)hook["timeoutSeconds"] ?? 10, 1, 30));
        var uid = Guid.NewGuid().ToString();
        var review = new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["request"] = new JsonObject
            {
                ["uid"] = uid,
                ["kind"] = new JsonObject { ["group"] = def.Group, ["version"] = def.Version, ["kind"] = def.Kind },
                ["resource"] = new JsonObject { ["group"] = def.Group, ["version"] = def.Version, ["resource"] = def.Plural },
                ["requestKind"] = new JsonObject { ["group"] = def.Group, ["version"] = def.Version, ["kind"] = def.Kind },
                ["requestResource"] = new JsonObject { ["group"] = def.Group, ["version"] = def.Version, ["resource"] = def.Plural },
                ["name"] = (string?)(obj ?? old)?["metadata"]?["name"] ?? "",
                ["namespace"] = (string?)(obj ?? old)?["metadata"]?["namespace"],
                ["operation"] = operation,
                ["userInfo"] = new JsonObject
                {
                    ["username"] = user.Name,
                    ["groups"] = new JsonArray([.. user.Groups.Select(g => (JsonNode)g)]),
                },
                ["object"] = obj?.DeepClone(),
                ["oldObject"] = old?.DeepClone(),
                ["dryRun"] = dryRun,
            },
        };

        Uri url;
        string? caBundle = (string?)hook["clientConfig"]?["caBundle"];
        try
        {
            url = ResolveUrl(hook["clientConfig"] as JsonObject);
        }
        catch (ApiException e)
        {
            return Fail(e.Message);
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        string body;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            request.Options.Set(CaBundleKey, caBundle);
            using var response = await _http.SendAsync(request, cts.Token);
            body = await response.Content.ReadAsStringAsync(cts.Token);
            if (!response.IsSuccessStatusCode)
            {
                return Fail($"failed to call webhook: the server responded with status {(int)response.StatusCode}");
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return Fail(e is HttpRequestException
                ? $"failed to call webhook: Post \"{url}\": {e.Message}"
                : $"failed to call webhook: Post \"{url}\": context deadline exceeded");
        }

        JsonObject? reply;
        try
        {
            reply = JsonNode.Parse(body)?["response"] as JsonObject;
        }
        catch (System.Text.Json.JsonException e)
        {
            return Fail($"received invalid webhook response: {e.Message}");
        }

        if (reply is null || (string?)reply["uid"] != uid)
        {
            return Fail($"received invalid webhook response: expected response.uid=\"{uid}\", got \"{(string?)reply?["uid"]}\"");
        }

        if ((bool?)reply["allowed"] != true)
        {
            var code = (int?)reply["status"]?["code"] is int c and >= 400 ? c : 400;
            var message = (string?)reply["status"]?["message"] ?? "";
            throw new ApiException(code, code == 403 ? "Forbidden" : "BadRequest", $"admission webhook \"{name}\" denied the request: {message}".TrimEnd(' ', ':'));
        }

        foreach (var w in (reply["warnings"] as JsonArray ?? []).Select(w => (string?)w).OfType<string>())
        {
            RequestWarnings.Add(w);
        }

        return reply;

        JsonObject? Fail(string why)
        {
            if (failOpen)
            {
                log.LogWarning("Webhook {Hook} of {Config} failed and is ignored (failurePolicy Ignore): {Why}", name, (string?)config["metadata"]?["name"], why);
                return null;
            }

            log.LogWarning("Webhook {Hook} failed, rejecting the request (failurePolicy Fail): {Why}", name, why);
            throw new ApiException(500, "InternalError", $"Internal error occurred: failed calling webhook \"{name}\": {why}");
        }
    }

    /// <summary>A webhook named by URL is called there; one named by Service goes to that Service's endpoints, as the API server's service resolver does.</summary>
    private Uri ResolveUrl(JsonObject? clientConfig)
    {
        if ((string?)clientConfig?["url"] is { } u)
        {
            return Uri.TryCreate(u, UriKind.Absolute, out var abs) ? abs : throw ApiException.BadRequest($"webhook url \"{u}\" is not absolute");
        }

        if (clientConfig?["service"] is JsonObject svc)
        {
            var ns = (string?)svc["namespace"] ?? "default";
            var name = (string?)svc["name"] ?? "";
            var port = (int?)svc["port"] ?? 443;
            var path = (string?)svc["path"] ?? "/";
            var target = ServiceEndpoints.Resolve(store, ns, name, port.ToString(System.Globalization.CultureInfo.InvariantCulture))
                ?? throw new ApiException(500, "InternalError", $"service \"{ns}/{name}\" has no ready endpoints for port {port}");
            var scheme = clientConfig["caBundle"] is not null ? "https" : "http";
            return new Uri($"{scheme}://{target}{path}");
        }

        throw ApiException.BadRequest("webhook clientConfig names neither url nor service");
    }

    private static string Name(JsonObject hook) => (string?)hook["name"] ?? "";

    private static readonly HttpRequestOptionsKey<string?> CaBundleKey = new("caBundle");

    /// <summary>TLS to a webhook is trusted when the certificate chains to the webhook's caBundle (or is otherwise valid).</summary>
    private static bool ValidateAgainstBundle(HttpRequestMessage request, X509Certificate2? cert, X509Chain? chain, System.Net.Security.SslPolicyErrors errors)
    {
        if (errors == System.Net.Security.SslPolicyErrors.None)
        {
            return true;
        }

        if (cert is null || !request.Options.TryGetValue(CaBundleKey, out var bundle) || bundle is null)
        {
            return false;
        }

        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(Encoding.UTF8.GetString(Convert.FromBase64String(bundle)));
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return custom.Build(cert);
    }

    public void Dispose() => _http.Dispose();
}
