using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Rbac;

/// <summary>One rule of a Role or ClusterRole, read once from its JSON and matched many times.</summary>
internal sealed class PolicyRule
{
    public required string[] Verbs { get; init; }
    public required string[] ApiGroups { get; init; }
    public required string[] Resources { get; init; }
    public required string[] ResourceNames { get; init; }
    public required string[] NonResourceUrls { get; init; }

    public static PolicyRule From(JsonObject rule) => new()
    {
        Verbs = Strings(rule["verbs"]),
        ApiGroups = Strings(rule["apiGroups"]),
        Resources = Strings(rule["resources"]),
        ResourceNames = Strings(rule["resourceNames"]),
        NonResourceUrls = Strings(rule["nonResourceURLs"]),
    };

    public static IReadOnlyList<PolicyRule> AllOf(JsonNode? rules) =>
        (rules as JsonArray ?? []).OfType<JsonObject>().Select(From).ToArray();

    /// <summary>Whether this rule grants the request, by the same matching a real server's RBAC does.</summary>
    public bool Allows(RequestAttributes a)
    {
        if (!Contains(Verbs, a.Verb)) return false;
        if (!a.IsResourceRequest) return NonResourceUrlMatches(a.NonResourcePath!);
        return Contains(ApiGroups, a.ApiGroup)
            && ResourceMatches(a.Resource, a.Subresource)
            && (ResourceNames.Length == 0 || Array.IndexOf(ResourceNames, a.Name) >= 0);
    }

    bool ResourceMatches(string resource, string subresource)
    {
        foreach (var r in Resources)
        {
            if (r == "*") return true;
            if (subresource.Length == 0)
            {
                if (r == resource) return true;
                continue;
            }
            // "pods/log" names one subresource; "*/scale" names it on every resource.
            var slash = r.IndexOf('/');
            if (slash < 0) continue;
            var rRes = r.AsSpan(0, slash);
            var rSub = r.AsSpan(slash + 1);
            if (rSub.SequenceEqual(subresource) && (rRes.SequenceEqual(resource) || rRes is "*")) return true;
        }
        return false;
    }

    bool NonResourceUrlMatches(string path)
    {
        foreach (var u in NonResourceUrls)
        {
            if (u == "*" || u == path) return true;
            if (u.EndsWith('*') && path.StartsWith(u.AsSpan(0, u.Length - 1), StringComparison.Ordinal)) return true;
        }
        return false;
    }

    static bool Contains(string[] values, string value)
    {
        foreach (var v in values)
            if (v == "*" || v == value) return true;
        return false;
    }

    static string[] Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null)
            .OfType<string>().ToArray();
}
