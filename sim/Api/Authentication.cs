using System.Collections.Concurrent;
using System.Security.Cryptography;
using Runai.Sim.Api.Rbac;

namespace Runai.Sim.Api;

/// <summary>
/// Bearer tokens and the identities behind them. The admin token goes into .run/kubeconfig;
/// service-account tokens are issued through the TokenRequest subresource or by the cluster host for its components.
/// </summary>
internal sealed class Authentication
{
    private readonly ConcurrentDictionary<string, UserInfo> _tokens = new(StringComparer.Ordinal);

    public Authentication()
    {
        AdminToken = NewToken();
        _tokens[AdminToken] = Admin;
    }

    public static readonly UserInfo Admin = new("kubernetes-admin", ["system:masters", "system:authenticated"]);
    public static readonly UserInfo Anonymous = new("system:anonymous", ["system:unauthenticated"]);

    public string AdminToken { get; }

    public static UserInfo ServiceAccount(string ns, string name) =>
        new($"system:serviceaccount:{ns}:{name}", ["system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"]);

    /// <summary>Issues a token for a service account; it stays valid until the service account is deleted.</summary>
    public string IssueServiceAccountToken(string ns, string name)
    {
        var token = NewToken();
        _tokens[token] = ServiceAccount(ns, name);
        return token;
    }

    /// <summary>A token for an identity of the cluster's own (a kubelet, the scheduler, an operator stand-in).</summary>
    public string IssueToken(UserInfo user)
    {
        var token = NewToken();
        _tokens[token] = user;
        return token;
    }

    public void RevokeServiceAccount(string ns, string name)
    {
        var user = ServiceAccount(ns, name).Name;
        foreach (var (token, info) in _tokens)
        {
            if (info.Name == user)
            {
                _tokens.TryRemove(token, out _);
            }
        }
    }

    /// <summary>Null when a token was sent but is unknown (401); Anonymous when none was sent.</summary>
    public UserInfo? Authenticate(string? authorizationHeader)
    {
        if (string.IsNullOrEmpty(authorizationHeader))
        {
            return Anonymous;
        }

        const string prefix = "Bearer ";
        if (!authorizationHeader.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return _tokens.TryGetValue(authorizationHeader[prefix.Length..].Trim(), out var user) ? user : null;
    }

    private static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
}
