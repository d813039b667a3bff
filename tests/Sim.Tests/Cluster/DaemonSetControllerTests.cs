using k8s;
using k8s.Models;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Cluster;

public sealed class DaemonSetControllerTests(SeedClusterFixture cluster) : IClassFixture<SeedClusterFixture>
{
    [Theory]
    [InlineData("runai-runtime-installer")]
    [InlineData("runai-container-toolkit")]
    public async Task TheSeedsRunaiDaemonSetsRunOneReadyPodOnEveryGpuNode(string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        V1DaemonSet ds;
        do
        {
            ds = await cluster.Client.AppsV1.ReadNamespacedDaemonSetAsync(name, "runai");
            if (ds.Status?.NumberReady == 8)
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(8, ds.Status?.DesiredNumberScheduled);
        Assert.Equal(8, ds.Status?.NumberReady);
        Assert.Equal(8, ds.Status?.UpdatedNumberScheduled);
        var pods = (await cluster.Client.CoreV1.ListNamespacedPodAsync("runai", labelSelector: $"app={name}")).Items;
        Assert.Equal(8, pods.Select(p => p.Spec.NodeName).Distinct().Count());
        Assert.All(pods, p => Assert.Equal(name, p.Metadata.OwnerReferences.Single(o => o.Controller == true).Name));
    }

    [Fact]
    public async Task APodOfTheDaemonSetThatIsDeletedIsReplacedOnItsNode()
    {
        const string name = "runai-container-toolkit";
        var victim = (await cluster.Client.CoreV1.ListNamespacedPodAsync("runai", labelSelector: $"app={name}")).Items.First();
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync(victim.Metadata.Name, "runai", gracePeriodSeconds: 0);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        V1Pod? replacement = null;
        while (replacement is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            replacement = (await cluster.Client.CoreV1.ListNamespacedPodAsync("runai", labelSelector: $"app={name}")).Items
                .FirstOrDefault(p => p.Spec.NodeName == victim.Spec.NodeName && p.Metadata.Name != victim.Metadata.Name);
        }

        Assert.NotNull(replacement);
    }
}
