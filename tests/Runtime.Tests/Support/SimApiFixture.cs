using k8s;
using k8s.Models;
using Runai.Sim;
using Runai.Sim.Api;

namespace Runai.Runtime.Tests.Support;

/// <summary>
/// A simulated cluster (API only) for one test class, with a short watch history so a few dozen writes push a
/// watcher's resourceVersion out of it (410 Gone), frequent bookmarks, and a severable proxy in front.
/// </summary>
public sealed class SimApiFixture : IAsyncLifetime
{
    public const int History = 10;

    private SimCluster? _cluster;
    private SeverableProxy? _proxy;

    internal SimCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster has not started");

    internal SeverableProxy Proxy => _proxy ?? throw new InvalidOperationException("the cluster has not started");

    /// <summary>A direct admin client: the test's hand on the server, unaffected by the proxy.</summary>
    public Kubernetes Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(new SimClusterOptions
        {
            StartWorkloadSimulation = false,
            Api = new ApiServerOptions { HistoryPerResource = History, BookmarkInterval = TimeSpan.FromMilliseconds(500) },
        });
        _proxy = new SeverableProxy(_cluster.ApiUrl);
        Admin = _cluster.CreateClient();
    }

    /// <summary>An admin client that goes through the proxy (the certificate's SAN covers 127.0.0.1).</summary>
    public Kubernetes ClientThroughProxy() => new(new KubernetesClientConfiguration
    {
        Host = $"https://127.0.0.1:{Proxy.Port}",
        AccessToken = Cluster.AdminToken,
        SslCaCerts = [Cluster.Certificates.Ca],
    });

    /// <summary>A client acting as a service account with no RBAC: every request gets 403.</summary>
    public Kubernetes ClientWithoutRights() => Cluster.CreateClient(Cluster.IssueServiceAccountToken("runai", "nobody"));

    public async Task<string> NewNamespaceAsync()
    {
        var name = "t-" + Guid.NewGuid().ToString("N")[..10];
        await Admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        return name;
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
