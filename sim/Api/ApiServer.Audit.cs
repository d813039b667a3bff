using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Runai.Sim.Api.Rbac;

namespace Runai.Sim.Api;

/// <summary>One kind of request an identity made: verb on group/resource/subresource in a namespace ("" = cluster-wide), or a non-resource path.</summary>
internal readonly record struct AuditKey(string User, string Verb, string Group, string Resource, string Subresource, string Namespace, string? NonResourcePath);

/// <summary>
/// What every identity asked the API for, counted per kind of request, allowed and denied apart. It shows which
/// permissions a component really uses, so its ClusterRole can be the least that works.
/// </summary>
internal sealed class ApiAudit
{
    private readonly ConcurrentDictionary<AuditKey, Counts> _counts = new();

    private sealed class Counts
    {
        public long Allowed;
        public long Denied;
    }

    public void Record(UserInfo user, RequestAttributes attrs, bool allowed)
    {
        var key = new AuditKey(user.Name, attrs.Verb, attrs.ApiGroup, attrs.Resource, attrs.Subresource, attrs.Namespace, attrs.NonResourcePath);
        var counts = _counts.GetOrAdd(key, _ => new Counts());
        if (allowed)
        {
            Interlocked.Increment(ref counts.Allowed);
        }
        else
        {
            Interlocked.Increment(ref counts.Denied);
        }
    }

    /// <summary>(allowed, denied) for one kind of request; zeros when never seen.</summary>
    public (long Allowed, long Denied) CountOf(AuditKey key) =>
        _counts.TryGetValue(key, out var c) ? (Interlocked.Read(ref c.Allowed), Interlocked.Read(ref c.Denied)) : (0, 0);

    /// <summary>
    /// <c>{"identities": [{"user", "requests": [{"verb", "group", "resource", "subresource", "namespace", "allowed", "denied"}]}]}</c>,
    /// sorted; cluster-wide requests have no namespace, non-resource ones a <c>nonResourceURL</c> instead of group/resource.
    /// </summary>
    public JsonObject ToJson()
    {
        var identities = new JsonArray();
        foreach (var user in _counts.Keys.GroupBy(k => k.User).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var requests = new JsonArray();
            foreach (var key in user.OrderBy(k => k.NonResourcePath is null ? 0 : 1).ThenBy(k => k.Group, StringComparer.Ordinal)
                         .ThenBy(k => k.Resource, StringComparer.Ordinal).ThenBy(k => k.Subresource, StringComparer.Ordinal)
                         .ThenBy(k => k.Namespace, StringComparer.Ordinal).ThenBy(k => k.Verb, StringComparer.Ordinal)
                         .ThenBy(k => k.NonResourcePath, StringComparer.Ordinal))
            {
                var (allowed, denied) = CountOf(key);
                var entry = new JsonObject { ["verb"] = key.Verb };
                if (key.NonResourcePath is { } path)
                {
                    entry["nonResourceURL"] = path;
                }
                else
                {
                    entry["group"] = key.Group;
                    entry["resource"] = key.Resource;
                    if (key.Subresource.Length > 0) entry["subresource"] = key.Subresource;
                    if (key.Namespace.Length > 0) entry["namespace"] = key.Namespace;
                }

                entry["allowed"] = allowed;
                entry["denied"] = denied;
                requests.Add(entry);
            }

            identities.Add(new JsonObject { ["user"] = user.Key, ["requests"] = requests });
        }

        return new JsonObject { ["identities"] = identities };
    }
}

internal sealed partial class ApiServer
{
    /// <summary>Per-identity request counts, fed by every authorization decision; served at <c>GET /debug/audit</c>.</summary>
    public ApiAudit Audit { get; } = new();

    private async Task<bool> TryAuditEndpointAsync(HttpContext ctx, string path)
    {
        if (path.TrimEnd('/') != "/debug/audit" || ctx.Request.Method != "GET")
        {
            return false;
        }

        await WriteJsonAsync(ctx, 200, Audit.ToJson());
        return true;
    }
}
