using System.Net;
using k8s.Autorest;

namespace Runai.Core.Runtime.Internal;

/// <summary>Sorts a reconcile failure into the bounded <c>reason</c> label, and names the request a 403 refused.</summary>
internal static class ApiErrors
{
    public const string Forbidden = "forbidden";
    public const string Conflict = "conflict";
    public const string Api = "api";
    public const string Exception = "exception";

    public static string Reason(Exception e) => e switch
    {
        HttpOperationException { Response.StatusCode: HttpStatusCode.Forbidden } => Forbidden,
        HttpOperationException { Response.StatusCode: HttpStatusCode.Conflict } => Conflict,
        HttpOperationException or HttpRequestException => Api,
        _ => Exception,
    };

    /// <summary>The resource (<c>pods</c>, <c>mpijobs.kubeflow.org</c>) and verb of an API request, from its method and URL.</summary>
    public static (string Resource, string Verb) Describe(HttpMethod? method, Uri? uri)
    {
        if (uri is null)
        {
            return ("unknown", Verb(method, named: false, watch: false));
        }

        var path = uri.IsAbsoluteUri ? uri.AbsolutePath : uri.OriginalString.Split('?')[0];
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var watch = uri.IsAbsoluteUri && uri.Query.Contains("watch=true", StringComparison.OrdinalIgnoreCase);
        string group;
        ReadOnlySpan<string> rest;
        if (segments.Length >= 2 && segments[0] == "api")
        {
            group = "";
            rest = segments.AsSpan(2);
        }
        else if (segments.Length >= 3 && segments[0] == "apis")
        {
            group = segments[1];
            rest = segments.AsSpan(3);
        }
        else
        {
            return ("unknown", Verb(method, named: false, watch));
        }

        if (rest.Length >= 3 && rest[0] == "namespaces")
        {
            rest = rest[2..];
        }

        if (rest.Length == 0)
        {
            return ("unknown", Verb(method, named: false, watch));
        }

        var resource = group.Length == 0 ? rest[0] : rest[0] + "." + group;
        return (resource, Verb(method, named: rest.Length >= 2, watch));
    }

    private static string Verb(HttpMethod? method, bool named, bool watch) => method?.Method switch
    {
        "GET" when watch => "watch",
        "GET" => named ? "get" : "list",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" => named ? "delete" : "deletecollection",
        _ => "unknown",
    };
}
