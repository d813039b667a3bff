using System.Text;
using k8s;
using k8s.Models;
using Runai.Sim.Cluster;
using Runai.Sim.Tests.Conformance.Support;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Admission;

/// <summary>Production webhooks serve HTTPS; the API server must trust exactly the configuration's caBundle.</summary>
public sealed class WebhookTlsTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    [Fact]
    public async Task AnHttpsWebhookSignedByItsCaBundleIsCalledAndItsPatchApplied()
    {
        using var certificates = ClusterCertificates.Create();
        await using var webhook = await WebhookServer.StartAsync(certificates.Server);
        await RegisterAsync("tls-trusted", webhook.Url, certificates.CaPem, "tls-a");

        var pod = await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pod("p"), "tls-a");

        Assert.Equal("yes", pod.Metadata.Labels["mutated"]);
        Assert.Equal(1, webhook.Reviews);
    }

    [Fact]
    public async Task AnHttpsWebhookWhoseCertificateTheBundleDoesNotSignIsRefused()
    {
        using var served = ClusterCertificates.Create();
        using var other = ClusterCertificates.Create();
        await using var webhook = await WebhookServer.StartAsync(served.Server);
        await RegisterAsync("tls-untrusted", webhook.Url, other.CaPem, "tls-b");

        var e = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => cluster.Client.CoreV1.CreateNamespacedPodAsync(Pod("p"), "tls-b"));

        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, e.Response.StatusCode);
        var status = System.Text.Json.Nodes.JsonNode.Parse(e.Response.Content)!;
        Assert.Equal("InternalError", (string?)status["reason"]);
        Assert.Contains("failed calling webhook \"tls-untrusted.sim.test\"", (string?)status["message"]);
        Assert.Equal(0, webhook.Reviews);
    }

    private async Task RegisterAsync(string name, string url, string caPem, string ns)
    {
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns, Labels = new Dictionary<string, string> { ["hook"] = name } } });
        await cluster.Client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = name },
            Webhooks =
            [
                new V1MutatingWebhook
                {
                    Name = $"{name}.sim.test",
                    AdmissionReviewVersions = ["v1"],
                    SideEffects = "None",
                    FailurePolicy = "Fail",
                    ClientConfig = new Admissionregistrationv1WebhookClientConfig
                    {
                        Url = url.Replace("http://", "https://", StringComparison.Ordinal),
                        CaBundle = Encoding.ASCII.GetBytes(caPem),
                    },
                    NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["hook"] = name } },
                    Rules = [new V1RuleWithOperations { Operations = ["CREATE"], ApiGroups = [""], ApiVersions = ["v1"], Resources = ["pods"] }],
                },
            ],
        });
    }

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string>() },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };
}
