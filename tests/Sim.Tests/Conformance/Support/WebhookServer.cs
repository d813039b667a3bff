using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Runai.Sim.Tests.Conformance.Support;

/// <summary>
/// A mutating admission webhook on loopback HTTP: every AdmissionReview it gets is allowed with a JSON patch that labels the
/// object <c>mutated=yes</c> and sets <c>spec.schedulerName</c>, so a test sees whether the API server applied it.
/// </summary>
public sealed class WebhookServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public int Reviews { get; private set; }

    /// <summary>Starts the webhook on plain HTTP, or on HTTPS with the given serving certificate (as a production webhook is).</summary>
    public static async Task<WebhookServer> StartAsync(System.Security.Cryptography.X509Certificates.X509Certificate2? tls = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (tls is null)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.UseHttps(tls)));
        }

        var app = builder.Build();
        WebhookServer? self = null;
        app.MapPost("/mutate", async (HttpContext ctx) =>
        {
            var review = (await JsonNode.ParseAsync(ctx.Request.Body))!.AsObject();
            self!.Reviews++;
            var patch = """[{"op":"add","path":"/metadata/labels/mutated","value":"yes"},{"op":"add","path":"/spec/schedulerName","value":"runai-scheduler"}]""";
            var response = new JsonObject
            {
                ["apiVersion"] = "admission.k8s.io/v1",
                ["kind"] = "AdmissionReview",
                ["response"] = new JsonObject
                {
                    ["uid"] = review["request"]?["uid"]?.DeepClone(),
                    ["allowed"] = true,
                    ["patchType"] = "JSONPatch",
                    ["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch)),
                },
            };
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(response.ToJsonString());
        });
        await app.StartAsync();
        self = new WebhookServer(app, app.Urls.First().TrimEnd('/') + "/mutate");
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
