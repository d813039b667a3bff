namespace Runai.Sim.Api.Rbac;

internal sealed partial class RbacAuthorizer
{
    /// <summary>
    /// The identity a request acts as when it carries <c>Impersonate-User</c> / <c>Impersonate-Group</c> headers,
    /// after checking, as a real server does, that the requester may <c>impersonate</c> that user (resource
    /// "users", or "serviceaccounts" in the account's namespace for "system:serviceaccount:NS:NAME") and each group.
    /// A service account impersonated without groups gets its own groups; every impersonated user but
    /// system:anonymous is in system:authenticated. Returns the requester unchanged when nothing is impersonated.
    /// Throws 403 Forbidden (with the real server's message) when an impersonation is not allowed.
    /// </summary>
    public static UserInfo Impersonate(UserInfo requester, string? impersonateUser, IReadOnlyList<string> impersonateGroups, RbacAuthorizer authz)
    {
        var groupsSpecified = impersonateGroups.Count > 0;
        if (string.IsNullOrEmpty(impersonateUser))
        {
            if (!groupsSpecified) return requester;
            throw new ApiException(500, "InternalError",
                $"Internal error occurred: requested groups [{string.Join(", ", impersonateGroups)}] without impersonating a user");
        }

        List<string> groups = [.. impersonateGroups];
        RequestAttributes userAttrs;
        if (UserInfo.TryParseServiceAccount(impersonateUser, out var ns, out var name))
        {
            userAttrs = RequestAttributes.ForResource("impersonate", "", "serviceaccounts", ns, name);
            if (!groupsSpecified) groups = UserInfo.ServiceAccountGroups(ns, includeAuthenticated: false);
        }
        else
        {
            userAttrs = RequestAttributes.ForResource("impersonate", "", "users", name: impersonateUser);
        }

        foreach (var attrs in impersonateGroups.Select(g => RequestAttributes.ForResource("impersonate", "", "groups", name: g)).Prepend(userAttrs))
        {
            var decision = authz.Authorize(requester, attrs);
            if (!decision.Allowed) throw decision.ToForbidden();
        }

        if (impersonateUser != "system:anonymous" && !groups.Contains(UserInfo.Authenticated))
            groups.Add(UserInfo.Authenticated);
        return new UserInfo(impersonateUser, groups);
    }
}
