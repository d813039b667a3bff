using System.Diagnostics;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using Runai.Core;
using Runai.Core.Hosting;
using Runai.Core.Resources;
using Runai.Core.Runtime;
using Runai.Hosting;

namespace Runai.Controllers.Admission;

/// <summary>
/// runai-admission: the mutating webhook for pods in project namespaces (see <see cref="PodMutator"/>).
/// Every replica serves the webhook over HTTPS on <c>--webhook-listen</c> (default :9443) with the project
/// cache it watches; the leader keeps the serving certificate and the MutatingWebhookConfiguration
/// (CA bundle, <c>--webhook-failure-policy</c> Fail or Ignore) true, every 15 s.
/// </summary>
internal sealed class AdmissionComponent : IServingComponent
{
    public const string ListenFlag = "--webhook-listen";
    public const string FailurePolicyFlag = "--webhook-failure-policy";
    public const string CertDirFlag = "--webhook-cert-dir";

    /// <summary>The component's own flags, for the host's parser.</summary>
    public static readonly IReadOnlyCollection<string> Flags = [ListenFlag, FailurePolicyFlag, CertDirFlag];

    public const string SecretName = "runai-admission-tls";
    private static readonly TimeSpan LeaderPeriod = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ReplicaPeriod = TimeSpan.FromSeconds(30);

    private static readonly Counter Reviews = Metrics.CreateCounter("runai_admission_reviews_total",
        "Admission reviews answered, by result: mutated, unchanged, malformed (denied), not_ready (failed: projects not read yet).",
        new CounterConfiguration { LabelNames = ["result"] });
    private static readonly Histogram ReviewDuration = Metrics.CreateHistogram("runai_admission_review_duration_seconds",
        "Time to answer one admission review, in seconds.",
        new HistogramConfiguration { Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
    private static readonly Gauge CertificateExpiry = Metrics.CreateGauge("runai_admission_certificate_expiry_timestamp_seconds",
        "When the webhook's serving certificate expires, in seconds since the epoch.");
    private static readonly Gauge ConfigurationInSync = Metrics.CreateGauge("runai_admission_webhook_configuration_in_sync",
        "1 when the leader last found the MutatingWebhookConfiguration as it should be (or made it so), 0 when it could not.");

    private IPEndPoint _listen = new(IPAddress.Any, 9443);
    private string _failurePolicy = "Fail";
    private string? _certDir;
    private CertificateSource? _certificates;
    private SharedInformer<Project>? _projects;
    private ILogger _log = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public string Name => RunaiComponents.Admission;

    public string? Configure(ComponentHostOptions options)
    {
        var settings = options.Settings;
        if (settings.TryGetValue(ListenFlag, out var listen))
        {
            if (!ListenAddress.TryParse(listen, out var endpoint, out var error)) return $"{ListenFlag}: {error}";
            if (endpoint.Port == options.Listen.Port && (endpoint.Address.Equals(options.Listen.Address) || endpoint.Address.Equals(IPAddress.Any) || options.Listen.Address.Equals(IPAddress.Any)))
                return $"{ListenFlag}: port {endpoint.Port} is already --listen's (the webhook needs its own HTTPS port)";
            _listen = endpoint;
        }

        if (settings.TryGetValue(FailurePolicyFlag, out var policy))
        {
            _failurePolicy = policy.ToLowerInvariant() switch
            {
                "fail" => "Fail",
                "ignore" => "Ignore",
                _ => "",
            };
            if (_failurePolicy.Length == 0) return $"{FailurePolicyFlag}: '{policy}' is not Fail (reject pods while the webhook is down) or Ignore (let them through unchanged)";
        }

        if (settings.TryGetValue(CertDirFlag, out var dir))
        {
            if (!Directory.Exists(dir)) return $"{CertDirFlag}: no such directory {dir}";
            foreach (var file in new[] { "tls.crt", "tls.key" })
                if (!File.Exists(Path.Combine(dir, file))) return $"{CertDirFlag}: {dir} has no {file}";
            _certDir = dir;
        }

        return null;
    }

    public void ConfigureHost(WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(k => k.Listen(_listen, o => o.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificateSelector = (_, _) => _certificates?.Current,
        })));
    }

    public void Map(WebApplication app)
    {
        var api = app.Services.GetRequiredService<IKubernetes>();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        _log = loggers.CreateLogger("Runai.Admission");
        _certificates = new CertificateSource(api, RunaiComponents.Namespace, SecretName, Name, _certDir, _log, TimeProvider.System);

        var factory = new InformerFactory(api, Name, loggers);
        _projects = factory.Get(ResourceClient.Custom<Project>());
        _projects.AddIndexer(NamespaceIndex, p => [p.EffectiveNamespace]);
        var stopping = app.Lifetime.ApplicationStopping;
        _ = factory.RunAsync(stopping);
        _ = KeepCertificateAsync(stopping);

        app.MapPost(WebhookConfiguration.Path, HandleAsync).RequireHost($"*:{_listen.Port}");
        _log.LogInformation("Serving the pod webhook at https://{Listen}{Path} (failurePolicy {Policy})", _listen, WebhookConfiguration.Path, _failurePolicy);
    }

    public async Task RunAsync(ComponentContext context, CancellationToken leading)
    {
        var certificates = _certificates ?? throw new InvalidOperationException("runai-admission runs only inside its host (Map was not called)");
        while (!leading.IsCancellationRequested)
        {
            try
            {
                await certificates.RefreshAsync(mayRenew: true, leading);
                CertificateExpiry.Set(certificates.NotAfter?.ToUnixTimeSeconds() ?? 0);
                await ReconcileConfigurationAsync(context.Kubernetes, certificates.CaPem, leading);
                ConfigurationInSync.Set(1);
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or System.Security.Cryptography.CryptographicException && !leading.IsCancellationRequested)
            {
                ConfigurationInSync.Set(0);
                _log.LogWarning("Cannot keep the webhook certificate and configuration in order, retrying in {Period}: {Problem}",
                    LeaderPeriod, Describe(e));
            }

            try
            {
                await Task.Delay(LeaderPeriod, leading);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private const string NamespaceIndex = "namespace";

    private async Task HandleAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp();
        var body = await ReadBodyAsync(http.Request);
        AdmissionDecision decision;
        if (body is null)
        {
            decision = PodMutator.TooLarge();
        }
        else if (_projects is not { HasSynced: true } projects)
        {
            decision = PodMutator.NotReady(body);
        }
        else
        {
            decision = PodMutator.Review(body, ns => ProjectOf(projects, ns));
        }

        Reviews.WithLabels(decision.Result).Inc();
        if (decision.Result == AdmissionResults.Malformed)
        {
            _log.LogWarning("Denied a malformed admission review: {Message}", (string?)decision.Review["response"]?["status"]?["message"]);
        }

        http.Response.StatusCode = decision.Result == AdmissionResults.NotReady ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(decision.Review.ToJsonString(), http.RequestAborted);
        ReviewDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>The project owning a namespace (the oldest, if several claim it).</summary>
    private static string? ProjectOf(SharedInformer<Project> projects, string ns) =>
        Project.OwnerAmong(projects.ByIndex(NamespaceIndex, ns))?.Metadata.Name;

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength > PodMutator.MaxReviewBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > PodMutator.MaxReviewBytes) return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Every replica loads the certificate (creating it if none exists yet) and re-reads it, so a renewal reaches all.</summary>
    private async Task KeepCertificateAsync(CancellationToken stopping)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await _certificates!.RefreshAsync(mayRenew: false, stopping);
                CertificateExpiry.Set(_certificates.NotAfter?.ToUnixTimeSeconds() ?? 0);
                delay = _certificates.Current is null ? TimeSpan.FromSeconds(2) : ReplicaPeriod;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or System.Security.Cryptography.CryptographicException && !stopping.IsCancellationRequested)
            {
                _log.LogWarning("Cannot load the webhook certificate, retrying in {Delay}: {Problem}", delay, Describe(e));
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, ReplicaPeriod.Ticks));
            }

            try
            {
                await Task.Delay(delay, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ReconcileConfigurationAsync(IKubernetes api, string? caPem, CancellationToken ct)
    {
        var wanted = WebhookConfiguration.Build(RunaiComponents.Namespace, Name, caPem, _failurePolicy);
        V1MutatingWebhookConfiguration live;
        try
        {
            live = await api.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(WebhookConfiguration.Name, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            await api.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(wanted, cancellationToken: ct);
            _log.LogInformation("Created MutatingWebhookConfiguration {Name} (failurePolicy {Policy})", WebhookConfiguration.Name, _failurePolicy);
            return;
        }

        var diffs = WebhookConfiguration.Differences(live, wanted);
        if (diffs.Count == 0) return;
        wanted.Metadata.ResourceVersion = live.Metadata.ResourceVersion;
        if (caPem is null) wanted.Webhooks[0].ClientConfig.CaBundle = live.Webhooks?.FirstOrDefault()?.ClientConfig?.CaBundle;
        await api.AdmissionregistrationV1.ReplaceMutatingWebhookConfigurationAsync(wanted, WebhookConfiguration.Name, cancellationToken: ct);
        _log.LogInformation("Updated MutatingWebhookConfiguration {Name}: {Changes}", WebhookConfiguration.Name, string.Join("; ", diffs));
    }

    private static string Describe(Exception e) => e is HttpOperationException h
        ? $"{(int)h.Response.StatusCode} {h.Response.ReasonPhrase}: {h.Response.Content}"
        : e.Message;
}
