using System.Text;
using k8s;
using Runai.Sim;

namespace Runai.Hosting.Tests.Support;

/// <summary>An API-only simulated cluster for one test class: no kubelets, just the API server with enforced RBAC.</summary>
public sealed class SimFixture : IAsyncLifetime
{
    private SimCluster? _cluster;

    internal SimCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster has not started");

    public Kubernetes Admin { get; private set; } = null!;

    public string AdminKubeconfig => Cluster.KubeconfigPath;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(new SimClusterOptions { StartWorkloadSimulation = false });
        Admin = _cluster.CreateClient();
    }

    /// <summary>A kubeconfig that authenticates as a service account, with a token minted as the TokenRequest API would.</summary>
    public string KubeconfigFor(string ns, string serviceAccount)
    {
        var token = Cluster.IssueServiceAccountToken(ns, serviceAccount);
        var path = Path.Combine(Cluster.RunDirectory, $"kubeconfig-{ns}-{serviceAccount}");
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(Cluster.Certificates.CaPem));
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: sim
              cluster:
                server: {Cluster.ApiUrl.ToString().TrimEnd('/')}
                certificate-authority-data: {ca}
            users:
            - name: {serviceAccount}
              user:
                token: {token}
            contexts:
            - name: sim
              context:
                cluster: sim
                user: {serviceAccount}
                namespace: {ns}
            current-context: sim

            """);
        return path;
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
