using Runai.Sim.Tests.Conformance.Support;
using Runai.Sim.Tests.Support;
using static Runai.Sim.Tests.Conformance.Support.Manifests;

namespace Runai.Sim.Tests.Conformance;

/// <summary>kubectl get prints the server's Table: the usual columns for pods.</summary>
public sealed class TableTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    [Fact]
    public async Task KubectlGetPodsPrintsTheUsualColumns()
    {
        var ns = await cluster.NewNamespaceAsync("table");
        (await new ClientDriver(cluster.Client).CreateAsync(Pod(ns, "shown"))).Ok.ToString();

        var result = await cluster.KubectlAsync("get", "pods", "-n", ns);

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE"], rows[0]);
        Assert.Equal(["shown", "0/1", "Pending", "0"], rows[1][..4]);
    }
}
