using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Runai.Hosting.Tests.Support;
using Runai.Sim;
using Runai.Sim.Kubelet;

namespace Runai.Admission.Tests;

/// <summary>
/// The seed cluster with runai-admission installed from deploy/ and run by the simulated kubelet as a real process
/// (the Deployment's pod), as <c>./run.sh</c> runs it.
/// </summary>
public sealed class AdmissionClusterFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("runai-admission-").FullName;
    private SimCluster? _cluster;

    internal SimCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster has not started");

    public Kubernetes Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(new SimClusterOptions
        {
            ScenarioPath = Path.Combine(AppContext.BaseDirectory, "scenarios", "seed.yaml"),
            RunDirectory = Path.Combine(_dir, "run"),
            Images = ImageMap.Parse([$"runai/controllers:dev=dotnet {Repo.ControllersDll}"]),
            Manifests = [Path.Combine(Repo.DeployDirectory, "runai-namespace.yaml"), Repo.ComponentManifest("runai-admission")],
        });
        Admin = _cluster.CreateClient();
    }

    /// <summary>The webhook's HTTPS address on loopback, from the Service's Endpoints, once a replica is ready.</summary>
    public async Task<Uri> WebhookUrlAsync(TimeSpan timeout)
    {
        Uri? url = null;
        await Eventually.HoldsAsync(async () =>
        {
            var endpoints = await Admin.CoreV1.ReadNamespacedEndpointsAsync("runai-admission", "runai");
            var subset = endpoints.Subsets?.FirstOrDefault(s => s.Addresses?.Count > 0);
            var port = subset?.Ports?.FirstOrDefault(p => p.Name == "webhook");
            if (subset is null || port is null) return false;
            url = new Uri($"https://{subset.Addresses[0].Ip}:{port.Port}");
            return true;
        }, timeout, () => "runai-admission has a ready endpoint");
        return url!;
    }

    /// <summary>An HTTPS client that trusts only the CA in the webhook's Secret, as the API server trusts only the caBundle.</summary>
    public async Task<HttpClient> WebhookClientAsync()
    {
        var secret = await Admin.CoreV1.ReadNamespacedSecretAsync("runai-admission-tls", "runai");
        var ca = X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(secret.Data["ca.crt"]));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return cert is not null && chain.Build(cert);
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_cluster is not null) await _cluster.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
