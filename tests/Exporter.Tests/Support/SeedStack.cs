using k8s;
using Runai.Core;
using Runai.Sim;
using Runai.Sim.Kubelet;

namespace Runai.Exporter.Tests.Support;

/// <summary>
/// The stack as ./run.sh starts it, for one test class: the simulated cluster with the seed scenario and its kubelets,
/// the workload-exporter Deployment from deploy/ running the built executable as a pod under its own ServiceAccount and
/// RBAC, and Debian's Prometheus discovering it through the cluster's <c>/sd/pods</c>, as run.sh configures it.
/// </summary>
public sealed class SeedStack : IAsyncLifetime
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private SimCluster? _cluster;
    private PrometheusServer? _prometheus;

    internal SimCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    internal PrometheusServer Prometheus => _prometheus ?? throw new InvalidOperationException("not started");

    public Kubernetes Admin { get; private set; } = null!;

    /// <summary>The exporter's /metrics through the Service's stable loopback port.</summary>
    public Uri ExporterMetrics { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(new SimClusterOptions
        {
            ScenarioPath = Path.Combine(AppContext.BaseDirectory, "scenarios", "seed.yaml"),
            Images = ImageMap.Parse([$"runai/exporter:dev=dotnet {Repo.ExporterDll}"]),
            Manifests = [Repo.Deploy("runai-namespace.yaml"), Repo.Deploy("components/workload-exporter.yaml")],
        });
        Admin = _cluster.CreateClient();
        await Wait.UntilAsync(() => _cluster.ServiceUrls.ContainsKey("runai/workload-exporter:metrics"), "the exporter's Service port", 30);
        ExporterMetrics = new Uri(_cluster.ServiceUrls["runai/workload-exporter:metrics"] + "/metrics");
        await Wait.UntilAsync(async () => (await ScrapeAsync()).Contains("runai_workload_status{", StringComparison.Ordinal), "the exporter pod to serve workload series", 60);
        _prometheus = await PrometheusServer.StartAsync($"""
              - job_name: runai-pods
                scheme: http
                honor_labels: true
                http_sd_configs:
                  - url: '{_cluster.ApiUrl.ToString().TrimEnd('/')}/sd/pods'
                    refresh_interval: 1s
                    tls_config: {"{"}ca_file: '{_cluster.CaCertificatePath}'{"}"}
                relabel_configs:
                  - {"{"}source_labels: [component], regex: '(.+)', target_label: job{"}"}

            """);
    }

    public async Task<string> ScrapeAsync(string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ExporterMetrics);
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await Http.SendAsync(request);
        return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : "";
    }

    public async Task DisposeAsync()
    {
        if (_prometheus is not null) await _prometheus.DisposeAsync();
        Admin?.Dispose();
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}
