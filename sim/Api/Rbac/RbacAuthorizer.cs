using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Rbac;

/// <summary>
/// Decides requests from the stored Roles, ClusterRoles, RoleBindings and ClusterRoleBindings, the way the
/// real API server's RBAC authorizer does (plus the system:masters group, which may do everything).
/// </summary>
/// <remarks>
/// It runs on every request, so the policy is compiled into a snapshot (roles with aggregation resolved,
/// bindings indexed by subject) that is rebuilt only when the RBAC objects change, and each identity's
/// applicable grants are cached in that snapshot. A request then only looks at the grants of its own user.
/// </remarks>
internal sealed partial class RbacAuthorizer
{
    public const string Roles = "roles";
    public const string ClusterRoles = "clusterroles";
    public const string RoleBindings = "rolebindings";
    public const string ClusterRoleBindings = "clusterrolebindings";

    readonly Func<string, IEnumerable<JsonObject>> _objects;
    readonly Func<long>? _revision;
    readonly Lock _rebuild = new();
    volatile PolicySnapshot? _snapshot;

    /// <param name="objects">The current stored objects of one of the four RBAC plurals (Roles, ClusterRoles, ...), any order.</param>
    /// <param name="revision">
    /// A number that changes whenever any RBAC object changes (e.g. the highest resourceVersion among the four
    /// resources). Without it, each request fingerprints the RBAC objects' resourceVersions to notice changes.
    /// It must not move with unrelated writes, or every pod update would force a rebuild.
    /// </param>
    public RbacAuthorizer(Func<string, IEnumerable<JsonObject>> objects, Func<long>? revision = null)
    {
        _objects = objects;
        _revision = revision;
    }

    /// <summary>Forgets the compiled policy, so the next request reads the RBAC objects again.</summary>
    public void Invalidate() => _snapshot = null;

    public AuthorizationDecision Authorize(UserInfo user, RequestAttributes attrs)
    {
        if (user.Groups.Contains(UserInfo.Masters))
            return new AuthorizationDecision(true, "", user, attrs);

        var grants = Current().GrantsFor(user);
        foreach (var g in grants.ClusterWide)
            if (g.Allows(attrs))
                return new AuthorizationDecision(true, $"RBAC: allowed by {g.Source}", user, attrs);

        Grant[] local = [];
        if (attrs.IsResourceRequest && attrs.Namespace.Length > 0 && grants.ByNamespace.TryGetValue(attrs.Namespace, out var found))
        {
            local = found;
            foreach (var g in local)
                if (g.Allows(attrs))
                    return new AuthorizationDecision(true, $"RBAC: allowed by {g.Source}", user, attrs);
        }

        // Bindings to missing roles are what a real server reports alongside a denial.
        var errors = grants.ClusterWide.Concat(local).Select(g => g.Error).OfType<string>().Distinct().ToList();
        var reason = errors.Count switch
        {
            0 => "",
            1 => $"RBAC: {errors[0]}",
            _ => $"RBAC: [{string.Join(", ", errors)}]",
        };
        return new AuthorizationDecision(false, reason, user, attrs);
    }

    PolicySnapshot Current()
    {
        var revision = _revision?.Invoke() ?? Fingerprint();
        var snapshot = _snapshot;
        if (snapshot is not null && snapshot.Revision == revision) return snapshot;
        lock (_rebuild)
        {
            snapshot = _snapshot;
            if (snapshot is not null && snapshot.Revision == revision) return snapshot;
            snapshot = PolicySnapshot.Build(revision,
                _objects(Roles), _objects(ClusterRoles), _objects(RoleBindings), _objects(ClusterRoleBindings));
            _snapshot = snapshot;
            return snapshot;
        }
    }

    long Fingerprint()
    {
        var hash = new HashCode();
        foreach (var plural in (string[])[Roles, ClusterRoles, RoleBindings, ClusterRoleBindings])
            foreach (var o in _objects(plural))
            {
                var meta = o["metadata"];
                hash.Add(Text(meta?["namespace"]));
                hash.Add(Text(meta?["name"]));
                hash.Add(Text(meta?["resourceVersion"]));
                hash.Add(Text(meta?["uid"]));
            }
        return hash.ToHashCode();
    }

    static string Text(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString() ?? "";
}
