using System.IO.Compression;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Core;
using Runai.Core.Hosting;

namespace Runai.Exporter.Tests.Support;

/// <summary>
/// The workload-exporter component run in the test process as its host runs it while leading: its informers on a real
/// (simulated) API server and its /metrics and /readyz on a loopback port. <see cref="StopLeadingAsync"/> does what a
/// lost lease does.
/// </summary>
internal sealed class InProcessExporter : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _leading;
    private readonly Task _running;

    private InProcessExporter(WebApplication app, WorkloadExporter exporter, CancellationTokenSource leading, Task running, Uri url)
    {
        _app = app;
        Exporter = exporter;
        _leading = leading;
        _running = running;
        Url = url;
    }

    public WorkloadExporter Exporter { get; }

    public Uri Url { get; }

    public static async Task<InProcessExporter> StartAsync(IKubernetes api, TimeProvider? time = null)
    {
        var exporter = new WorkloadExporter(time);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/metrics", exporter.WriteMetricsAsync);
        app.MapGet("/readyz", () => exporter.NotReady is { } why ? Results.Text(why, statusCode: 503) : Results.Text("ok"));
        await app.StartAsync();
        var context = new ComponentContext(RunaiComponents.WorkloadExporter, "test", api, NullLoggerFactory.Instance, new ServiceCollection().BuildServiceProvider());
        var leading = new CancellationTokenSource();
        var running = Task.Run(() => exporter.RunAsync(context, leading.Token));
        return new InProcessExporter(app, exporter, leading, running, new Uri(app.Urls.First()));
    }

    public async Task WaitUntilSyncedAsync() => await Wait.UntilAsync(() => Exporter.Synced, "the exporter's first full lists", 30);

    /// <summary>GET /metrics with the given Accept header; the body and its content type.</summary>
    public async Task<(string Body, string ContentType)> ScrapeAsync(string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Url, "/metrics"));
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.ToString() ?? "");
    }

    /// <summary>GET /metrics as Prometheus asks by default (gzip, OpenMetrics preferred); the decoded body and the response's headers.</summary>
    public async Task<(string Body, string? ContentEncoding, string Vary)> ScrapeGzipAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Url, "/metrics"));
        request.Headers.TryAddWithoutValidation("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip");
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        await using var gunzip = new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        using var reader = new StreamReader(gunzip);
        return (await reader.ReadToEndAsync(), response.Content.Headers.ContentEncoding.SingleOrDefault(), string.Join(",", response.Headers.Vary));
    }

    public async Task<Exposition> ScrapeParsedAsync() => Exposition.Parse((await ScrapeAsync()).Body);

    public async Task<int> ReadyStatusAsync()
    {
        using var response = await Http.GetAsync(new Uri(Url, "/readyz"));
        return (int)response.StatusCode;
    }

    public async Task StopLeadingAsync()
    {
        await _leading.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopLeadingAsync();
        }
        finally
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

/// <summary>
/// Test classes that run exporters in this process: never at the same time, because the exporter's own
/// <c>runai_exporter_*</c> series live in prometheus-net's process-wide registry and each exporter sets them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InProcessExporters
{
    public const string Name = "in-process exporters";
}

