namespace Runai.Sim.Api.Rbac;

/// <summary>Who is making a request, as authentication established it.</summary>
internal sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    public const string Masters = "system:masters";
    public const string Authenticated = "system:authenticated";
    public const string ServiceAccounts = "system:serviceaccounts";
    public const string ServiceAccountPrefix = "system:serviceaccount:";

    /// <summary>The identity of a service account's token: its user name and the groups every service account is in.</summary>
    public static UserInfo ServiceAccount(string @namespace, string name) =>
        new(ServiceAccountUserName(@namespace, name), ServiceAccountGroups(@namespace, includeAuthenticated: true));

    public static string ServiceAccountUserName(string @namespace, string name) =>
        $"{ServiceAccountPrefix}{@namespace}:{name}";

    internal static List<string> ServiceAccountGroups(string @namespace, bool includeAuthenticated)
    {
        var groups = new List<string> { ServiceAccounts, $"{ServiceAccounts}:{@namespace}" };
        if (includeAuthenticated) groups.Add(Authenticated);
        return groups;
    }

    /// <summary>Splits "system:serviceaccount:NS:NAME" into its namespace and name.</summary>
    public static bool TryParseServiceAccount(string userName, out string @namespace, out string name)
    {
        @namespace = name = "";
        if (!userName.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal)) return false;
        var rest = userName[ServiceAccountPrefix.Length..];
        var colon = rest.IndexOf(':');
        if (colon <= 0 || colon == rest.Length - 1 || rest.IndexOf(':', colon + 1) >= 0) return false;
        @namespace = rest[..colon];
        name = rest[(colon + 1)..];
        return true;
    }

    public override string ToString() => $"{Name} [{string.Join(", ", Groups)}]";
}

/// <summary>
/// What a request asks to do, in the terms RBAC rules speak: a verb on a resource (with its group,
/// subresource, namespace and object name), or a verb on a non-resource path such as "/version".
/// An empty Namespace means cluster scope (or all namespaces, for a list).
/// </summary>
internal sealed record RequestAttributes(
    string Verb, string ApiGroup, string Resource, string Subresource, string Namespace, string Name, string? NonResourcePath)
{
    public bool IsResourceRequest => NonResourcePath is null;

    public static RequestAttributes ForResource(string verb, string apiGroup, string resource,
        string @namespace = "", string name = "", string subresource = "") =>
        new(verb, apiGroup, resource, subresource, @namespace, name, null);

    public static RequestAttributes ForPath(string verb, string path) => new(verb, "", "", "", "", "", path);
}

/// <summary>
/// Whether a request is allowed, and the reason RBAC gives: "RBAC: allowed by ..." when allowed, and when denied
/// the empty string or the errors met on the way (a binding whose role does not exist).
/// </summary>
internal sealed record AuthorizationDecision(bool Allowed, string Reason, UserInfo User, RequestAttributes Attributes)
{
    /// <summary>
    /// The sentence a real server puts after "... is forbidden: ", e.g.
    /// <c>User "system:serviceaccount:runai:x" cannot list resource "pods" in API group "" in the namespace "runai"</c>.
    /// </summary>
    public string DenialText
    {
        get
        {
            var a = Attributes;
            string text;
            if (!a.IsResourceRequest)
                text = $"User \"{User.Name}\" cannot {a.Verb} path \"{a.NonResourcePath}\"";
            else
            {
                var resource = a.Subresource.Length > 0 ? $"{a.Resource}/{a.Subresource}" : a.Resource;
                var scope = a.Namespace.Length > 0 ? $"in the namespace \"{a.Namespace}\"" : "at the cluster scope";
                text = $"User \"{User.Name}\" cannot {a.Verb} resource \"{resource}\" in API group \"{a.ApiGroup}\" {scope}";
            }
            return Reason.Length > 0 ? $"{text}: {Reason}" : text;
        }
    }

    /// <summary>The whole message of the 403 Status, e.g. <c>deployments.apps "x" is forbidden: User ...</c>.</summary>
    public string Message
    {
        get
        {
            var a = Attributes;
            if (!a.IsResourceRequest || a.Resource.Length == 0) return $"forbidden: {DenialText}";
            var groupResource = a.ApiGroup.Length > 0 ? $"{a.Resource}.{a.ApiGroup}" : a.Resource;
            return a.Name.Length > 0
                ? $"{groupResource} \"{a.Name}\" is forbidden: {DenialText}"
                : $"{groupResource} is forbidden: {DenialText}";
        }
    }

    /// <summary>The 403 Forbidden error a real server answers with for this denial.</summary>
    public ApiException ToForbidden()
    {
        var a = Attributes;
        var details = new System.Text.Json.Nodes.JsonObject();
        if (a.Name.Length > 0) details["name"] = a.Name;
        if (a.ApiGroup.Length > 0) details["group"] = a.ApiGroup;
        if (a.Resource.Length > 0) details["kind"] = a.Resource;
        return new ApiException(403, "Forbidden", Message, details);
    }
}
