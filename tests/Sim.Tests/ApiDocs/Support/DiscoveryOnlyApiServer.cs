using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Api.OpenApi;
using Runai.Sim.Api.Validation;

namespace Runai.Sim.Tests.ApiDocs.Support;

/// <summary>
/// A loopback HTTP server playing just enough of an API server for <c>kubectl apply</c>: version, plain
/// discovery, the OpenAPI v3 documents under test, 404 for GETs of objects and a create that validates with
/// <see cref="SchemaValidator"/>. Every request is logged so tests can read what kubectl sent.
/// </summary>
internal sealed class DiscoveryOnlyApiServer : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly IReadOnlyList<ResourceDefinition> defs;
    private readonly Task loop;

    public DiscoveryOnlyApiServer(IReadOnlyList<ResourceDefinition> defs)
    {
        this.defs = defs;
        Port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public void Dispose()
    {
        listener.Close();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the listener's disposal exception.
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                Handle(context);
            }
            catch (Exception e)
            {
                Write(context.Response, 500, new JsonObject { ["kind"] = "Status", ["message"] = e.ToString() });
            }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        var body = new StreamReader(request.InputStream, Encoding.UTF8).ReadToEnd();
        var path = request.Url!.AbsolutePath;
        Requests.Enqueue(new RecordedRequest(request.HttpMethod, path, request.Url.Query, request.ContentType ?? "", body));
        var response = context.Response;

        if (request.HttpMethod == "GET")
        {
            JsonObject? answer = path switch
            {
                "/version" => new JsonObject
                {
                    ["major"] = "1", ["minor"] = "32", ["gitVersion"] = "v1.32.0", ["gitCommit"] = "sim",
                    ["gitTreeState"] = "clean", ["buildDate"] = "2024-12-11T00:00:00Z", ["goVersion"] = "go1.23.4",
                    ["compiler"] = "gc", ["platform"] = "linux/amd64",
                },
                "/api" => new JsonObject
                {
                    ["kind"] = "APIVersions",
                    ["versions"] = new JsonArray("v1"),
                    ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = $"127.0.0.1:{Port}" }),
                },
                "/apis" => GroupList(),
                "/openapi/v3" => OpenApiV3.V3Index(defs),
                _ when path.StartsWith("/openapi/v3/", StringComparison.Ordinal) => OpenApiV3.V3GroupVersion(path, defs),
                _ => ResourceList(path),
            };
            if (answer is not null)
            {
                Write(response, 200, answer);
                return;
            }

            Write(response, 404, new ApiException(404, "NotFound", $"the server could not find the requested resource ({path})").ToStatus());
            return;
        }

        if (request.HttpMethod == "POST" && defs.FirstOrDefault(d => CollectionPath(d) == path) is { } def)
        {
            var obj = JsonNode.Parse(body)!.AsObject();
            var mode = request.QueryString["fieldValidation"] switch
            {
                "Strict" => FieldValidation.Strict,
                "Ignore" => FieldValidation.Ignore,
                _ => FieldValidation.Warn,
            };
            try
            {
                ObjectValidator.ValidateObjectMeta(obj, def.Namespaced);
                var result = SchemaValidator.Validate(obj, def.Schema!, mode);
                if (!result.IsValid)
                {
                    throw SchemaValidator.ToException(result, def.Kind, obj["metadata"]?["name"]?.GetValue<string>() ?? "");
                }

                foreach (var warning in result.Warnings)
                {
                    response.AddHeader("Warning", $"299 - \"{warning.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
                }
            }
            catch (ApiException e)
            {
                Write(response, e.Code, e.ToStatus());
                return;
            }

            obj["metadata"]!["uid"] = Guid.NewGuid().ToString();
            obj["metadata"]!["resourceVersion"] = "1";
            Write(response, 201, obj);
            return;
        }

        Write(response, 405, new ApiException(405, "MethodNotAllowed", "not served by this test server").ToStatus());
    }

    private static string CollectionPath(ResourceDefinition d) => "/" + OpenApiV3.PathOf(d) + "/" + d.Plural;

    private JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var g in defs.Where(d => d.Group.Length > 0).GroupBy(d => d.Group))
        {
            var versions = new JsonArray(g.Select(d => d.Version).Distinct()
                .Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{g.Key}/{v}", ["version"] = v }).ToArray());
            groups.Add(new JsonObject
            {
                ["name"] = g.Key,
                ["versions"] = versions,
                ["preferredVersion"] = versions[0]!.DeepClone(),
            });
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    private JsonObject? ResourceList(string path)
    {
        var matching = defs.Where(d => "/" + OpenApiV3.PathOf(d) == path).ToList();
        if (matching.Count == 0)
        {
            return null;
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = matching[0].ApiVersion,
            ["resources"] = new JsonArray(matching.Select(d => (JsonNode)new JsonObject
            {
                ["name"] = d.Plural,
                ["singularName"] = d.Singular,
                ["namespaced"] = d.Namespaced,
                ["kind"] = d.Kind,
                ["verbs"] = new JsonArray(d.Verbs.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
                ["shortNames"] = new JsonArray(d.ShortNames.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
            }).ToArray()),
        };
    }

    private static void Write(HttpListenerResponse response, int code, JsonObject body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        response.StatusCode = code;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
        response.Close();
    }
}

internal sealed record RecordedRequest(string Method, string Path, string Query, string ContentType, string Body);
