using System.Text.Json.Nodes;

namespace Runai.Sim.Api;

/// <summary>
/// The resources the server serves right now: built-in kinds plus those of established CRDs.
/// Discovery documents are built from it on each request, so a CRD created at run time appears at once.
/// </summary>
internal sealed class ResourceRegistry
{
    private readonly Lock _gate = new();
    private Dictionary<(string Group, string Version, string Plural), ResourceDefinition> _byPath = new();
    private readonly Dictionary<string, List<ResourceDefinition>> _fromCrd = new(StringComparer.Ordinal);

    public ResourceRegistry(IEnumerable<ResourceDefinition> builtIn)
    {
        foreach (var d in builtIn)
        {
            _byPath[(d.Group, d.Version, d.Plural)] = d;
        }
    }

    public IReadOnlyList<ResourceDefinition> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _byPath.Values];
            }
        }
    }

    public ResourceDefinition? Find(string group, string version, string plural)
    {
        lock (_gate)
        {
            return _byPath.GetValueOrDefault((group, version, plural));
        }
    }

    public ResourceDefinition? FindKind(string apiVersion, string kind)
    {
        var (group, version) = SplitApiVersion(apiVersion);
        lock (_gate)
        {
            return _byPath.Values.FirstOrDefault(d => d.Group == group && d.Version == version && d.Kind == kind);
        }
    }

    /// <summary>The preferred (first served) definition of a group/resource, for paths that name no version.</summary>
    public ResourceDefinition? FindGroupResource(string groupResource)
    {
        lock (_gate)
        {
            return _byPath.Values.FirstOrDefault(d => d.GroupResource == groupResource);
        }
    }

    /// <summary>Registers (or replaces) the resources a CRD defines.</summary>
    public void SetCrd(string crdName, IReadOnlyList<ResourceDefinition> defs)
    {
        lock (_gate)
        {
            var next = new Dictionary<(string, string, string), ResourceDefinition>(_byPath);
            if (_fromCrd.TryGetValue(crdName, out var old))
            {
                foreach (var d in old)
                {
                    next.Remove((d.Group, d.Version, d.Plural));
                }
            }

            foreach (var d in defs)
            {
                next[(d.Group, d.Version, d.Plural)] = d;
            }

            _fromCrd[crdName] = [.. defs];
            _byPath = next;
        }
    }

    public IReadOnlyList<ResourceDefinition> RemoveCrd(string crdName)
    {
        lock (_gate)
        {
            if (!_fromCrd.Remove(crdName, out var old))
            {
                return [];
            }

            var next = new Dictionary<(string, string, string), ResourceDefinition>(_byPath);
            foreach (var d in old)
            {
                next.Remove((d.Group, d.Version, d.Plural));
            }

            _byPath = next;
            return old;
        }
    }

    public static (string Group, string Version) SplitApiVersion(string apiVersion)
    {
        var slash = apiVersion.IndexOf('/');
        return slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
    }

    // ---- discovery documents ----

    public JsonObject CoreVersions() => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = "127.0.0.1" }),
    };

    public JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var g in All.Where(d => d.Group.Length > 0).GroupBy(d => d.Group).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            groups.Add(GroupDocument(g.Key, g.Select(d => d.Version).Distinct()));
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public JsonObject? Group(string group)
    {
        var versions = All.Where(d => d.Group == group).Select(d => d.Version).Distinct().ToList();
        if (versions.Count == 0)
        {
            return null;
        }

        var doc = GroupDocument(group, versions);
        doc["kind"] = "APIGroup";
        doc["apiVersion"] = "v1";
        return doc;
    }

    private static JsonObject GroupDocument(string group, IEnumerable<string> versions)
    {
        var vs = versions.OrderByDescending(VersionPriority).ToList();
        var arr = new JsonArray();
        foreach (var v in vs)
        {
            arr.Add(new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v });
        }

        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = arr,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{vs[0]}", ["version"] = vs[0] },
        };
    }

    /// <summary>Kubernetes version ordering: GA over beta over alpha, higher numbers first.</summary>
    private static int VersionPriority(string v)
    {
        var m = System.Text.RegularExpressions.Regex.Match(v, "^v(\\d+)(?:(alpha|beta)(\\d+))?$");
        if (!m.Success)
        {
            return 0;
        }

        var major = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var stage = m.Groups[2].Value switch { "" => 3, "beta" => 2, _ => 1 };
        var minor = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        return (stage * 1000 + major) * 1000 + minor;
    }

    public JsonObject? ResourceList(string group, string version)
    {
        var defs = All.Where(d => d.Group == group && d.Version == version).OrderBy(d => d.Plural, StringComparer.Ordinal).ToList();
        if (defs.Count == 0)
        {
            return null;
        }

        var resources = new JsonArray();
        foreach (var d in defs)
        {
            var r = new JsonObject
            {
                ["name"] = d.Plural,
                ["singularName"] = d.Singular,
                ["namespaced"] = d.Namespaced,
                ["kind"] = d.Kind,
                ["verbs"] = new JsonArray([.. d.Verbs.Select(v => (JsonNode)v)]),
            };
            if (d.ShortNames.Count > 0)
            {
                r["shortNames"] = new JsonArray([.. d.ShortNames.Select(v => (JsonNode)v)]);
            }

            if (d.Categories.Count > 0)
            {
                r["categories"] = new JsonArray([.. d.Categories.Select(v => (JsonNode)v)]);
            }

            r["storageVersionHash"] = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(
                System.Text.Encoding.UTF8.GetBytes(d.ApiVersion + "/" + d.Kind)))[..11];
            resources.Add(r);
            foreach (var sub in d.Subresources)
            {
                resources.Add(SubresourceEntry(d, sub));
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    private static JsonObject SubresourceEntry(ResourceDefinition d, string sub)
    {
        var (kind, verbs) = sub switch
        {
            "status" => (d.Kind, new[] { "get", "patch", "update" }),
            "scale" => ("Scale", new[] { "get", "patch", "update" }),
            "binding" => ("Binding", new[] { "create" }),
            "eviction" => ("Eviction", new[] { "create" }),
            "log" => ("Pod", new[] { "get" }),
            "proxy" => (d.Kind == "Pod" ? "PodProxyOptions" : "ServiceProxyOptions", new[] { "create", "delete", "get", "patch", "update" }),
            "token" => ("TokenRequest", new[] { "create" }),
            _ => (d.Kind, new[] { "get" }),
        };
        var entry = new JsonObject
        {
            ["name"] = $"{d.Plural}/{sub}",
            ["singularName"] = "",
            ["namespaced"] = d.Namespaced,
            ["kind"] = kind,
            ["verbs"] = new JsonArray([.. verbs.Select(v => (JsonNode)v)]),
        };
        if (sub == "scale")
        {
            entry["group"] = "autoscaling";
            entry["version"] = "v1";
        }
        else if (sub == "eviction")
        {
            entry["group"] = "policy";
            entry["version"] = "v1";
        }
        else if (sub == "token")
        {
            entry["group"] = "authentication.k8s.io";
            entry["version"] = "v1";
        }

        return entry;
    }
}
