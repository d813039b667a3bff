using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Rbac;

/// <summary>Rules reached through one binding to one subject, or the error of a binding to a missing role.</summary>
internal sealed class Grant(string source, IReadOnlyList<PolicyRule> rules, string? error)
{
    /// <summary>How a real server describes the binding, e.g. <c>ClusterRoleBinding "x" of ClusterRole "y" to Group "z"</c>.</summary>
    public string Source { get; } = source;
    public IReadOnlyList<PolicyRule> Rules { get; } = rules;
    public string? Error { get; } = error;

    public bool Allows(RequestAttributes attrs)
    {
        foreach (var rule in Rules)
            if (rule.Allows(attrs)) return true;
        return false;
    }
}

/// <summary>Everything one identity is granted: cluster-wide, and per namespace by RoleBindings.</summary>
internal sealed record UserGrants(Grant[] ClusterWide, IReadOnlyDictionary<string, Grant[]> ByNamespace);

/// <summary>The RBAC objects at one revision, compiled for fast lookups by subject.</summary>
internal sealed class PolicySnapshot
{
    const int MaxCachedIdentities = 10_000;

    /// <summary>A binding's tie to one of its subjects. Namespace is null for a ClusterRoleBinding.</summary>
    sealed record BindingRef(string? Namespace, string Name, string RoleKind, string RoleName, int SubjectIndex, string Subject);

    readonly Dictionary<string, IReadOnlyList<PolicyRule>> _clusterRoles = new();
    readonly Dictionary<(string Namespace, string Name), IReadOnlyList<PolicyRule>> _roles = new();
    readonly Dictionary<string, List<BindingRef>> _byUser = new();
    readonly Dictionary<string, List<BindingRef>> _byGroup = new();
    readonly ConcurrentDictionary<string, UserGrants> _perIdentity = new();

    public long Revision { get; }

    PolicySnapshot(long revision) => Revision = revision;

    public static PolicySnapshot Build(long revision, IEnumerable<JsonObject> roles, IEnumerable<JsonObject> clusterRoles,
        IEnumerable<JsonObject> roleBindings, IEnumerable<JsonObject> clusterRoleBindings)
    {
        var s = new PolicySnapshot(revision);
        foreach (var r in roles)
            s._roles[(Meta(r, "namespace"), Meta(r, "name"))] = PolicyRule.AllOf(r["rules"]);
        s.AddClusterRoles(clusterRoles.ToList());
        foreach (var b in clusterRoleBindings) s.Index(b, null);
        foreach (var b in roleBindings) s.Index(b, Meta(b, "namespace"));
        return s;
    }

    /// <summary>
    /// ClusterRoles with an aggregationRule get the rules of every ClusterRole its selectors match, followed
    /// transitively (admin aggregates edit, which aggregates view), as the aggregation controller converges to.
    /// </summary>
    void AddClusterRoles(List<JsonObject> clusterRoles)
    {
        var byName = new Dictionary<string, JsonObject>();
        foreach (var cr in clusterRoles) byName[Meta(cr, "name")] = cr;
        var resolving = new HashSet<string>();

        IReadOnlyList<PolicyRule> Resolve(string name)
        {
            if (_clusterRoles.TryGetValue(name, out var done)) return done;
            var role = byName[name];
            var rules = PolicyRule.AllOf(role["rules"]).ToList();
            if (role["aggregationRule"]?["clusterRoleSelectors"] is JsonArray selectors && resolving.Add(name))
            {
                foreach (var other in byName.Values.OrderBy(o => Meta(o, "name"), StringComparer.Ordinal))
                {
                    var otherName = Meta(other, "name");
                    if (otherName == name || resolving.Contains(otherName)) continue;
                    var labels = (other["metadata"]?["labels"] as JsonObject ?? [])
                        .ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "", StringComparer.Ordinal);
                    if (selectors.OfType<JsonObject>().Any(sel => Api.LabelSelector.FromObject(sel).Matches(labels)))
                        rules.AddRange(Resolve(otherName));
                }
                resolving.Remove(name);
            }
            _clusterRoles[name] = rules;
            return rules;
        }

        foreach (var name in byName.Keys) Resolve(name);
    }

    void Index(JsonObject binding, string? bindingNamespace)
    {
        var name = Meta(binding, "name");
        var roleRef = binding["roleRef"] as JsonObject;
        var roleKind = Str(roleRef, "kind");
        var roleName = Str(roleRef, "name");
        var subjects = (binding["subjects"] as JsonArray ?? []).ToList();
        for (var i = 0; i < subjects.Count; i++)
        {
            if (subjects[i] is not JsonObject subject) continue;
            var kind = Str(subject, "kind");
            var subjectName = Str(subject, "name");
            switch (kind)
            {
                case "User":
                    Add(_byUser, subjectName, new(bindingNamespace, name, roleKind, roleName, i, $"User \"{subjectName}\""));
                    break;
                case "Group":
                    Add(_byGroup, subjectName, new(bindingNamespace, name, roleKind, roleName, i, $"Group \"{subjectName}\""));
                    break;
                case "ServiceAccount":
                    // A RoleBinding's service account defaults to the binding's namespace; a ClusterRoleBinding's must name one.
                    var ns = Str(subject, "namespace");
                    if (ns.Length == 0) ns = bindingNamespace ?? "";
                    if (ns.Length == 0) break;
                    Add(_byUser, UserInfo.ServiceAccountUserName(ns, subjectName),
                        new(bindingNamespace, name, roleKind, roleName, i, $"ServiceAccount \"{subjectName}/{ns}\""));
                    break;
            }
        }
    }

    static void Add(Dictionary<string, List<BindingRef>> index, string key, BindingRef value)
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        list.Add(value);
    }

    public UserGrants GrantsFor(UserInfo user)
    {
        var key = user.Groups.Count == 0 ? user.Name : user.Name + "\n" + string.Join("\n", user.Groups);
        if (_perIdentity.TryGetValue(key, out var cached)) return cached;
        if (_perIdentity.Count >= MaxCachedIdentities) _perIdentity.Clear();
        return _perIdentity.GetOrAdd(key, _ => Compile(user));
    }

    UserGrants Compile(UserInfo user)
    {
        var refs = new List<BindingRef>();
        if (_byUser.TryGetValue(user.Name, out var direct)) refs.AddRange(direct);
        foreach (var g in user.Groups.Distinct())
            if (_byGroup.TryGetValue(g, out var viaGroup)) refs.AddRange(viaGroup);

        // A binding counts once, through the first of its subjects that names this user, as on a real server.
        var chosen = refs
            .GroupBy(r => (r.Namespace, r.Name))
            .Select(g => g.MinBy(r => r.SubjectIndex)!)
            .OrderBy(r => r.Namespace, StringComparer.Ordinal)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();

        var cluster = chosen.Where(r => r.Namespace is null).Select(ToGrant).ToArray();
        var byNamespace = chosen.Where(r => r.Namespace is not null)
            .GroupBy(r => r.Namespace!)
            .ToDictionary(g => g.Key, g => g.Select(ToGrant).ToArray());
        return new UserGrants(cluster, byNamespace);
    }

    Grant ToGrant(BindingRef r)
    {
        var source = r.Namespace is null
            ? $"ClusterRoleBinding \"{r.Name}\" of {r.RoleKind} \"{r.RoleName}\" to {r.Subject}"
            : $"RoleBinding \"{r.Name}/{r.Namespace}\" of {r.RoleKind} \"{r.RoleName}\" to {r.Subject}";
        IReadOnlyList<PolicyRule>? rules = null;
        string? error = null;
        if (r.RoleKind == "ClusterRole")
        {
            if (!_clusterRoles.TryGetValue(r.RoleName, out rules))
                error = $"clusterrole.rbac.authorization.k8s.io \"{r.RoleName}\" not found";
        }
        else if (r.RoleKind == "Role" && r.Namespace is not null)
        {
            if (!_roles.TryGetValue((r.Namespace, r.RoleName), out rules))
                error = $"role.rbac.authorization.k8s.io \"{r.RoleName}\" not found";
        }
        else
        {
            error = $"unsupported role reference kind: \"{r.RoleKind}\"";
        }
        return new Grant(source, rules ?? [], error);
    }

    static string Meta(JsonObject o, string field) => Str(o["metadata"] as JsonObject, field);

    static string Str(JsonObject? o, string field) =>
        o?[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
