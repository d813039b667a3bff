using k8s;
using k8s.Models;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Conformance;

public sealed class SmokeTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    [Fact]
    public async Task AConfigMapCreatedByTheClientIsListedByKubectl()
    {
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "smoke" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "default");

        var result = await cluster.KubectlAsync("get", "configmaps", "-n", "default");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("smoke", result.Stdout);
    }
}
