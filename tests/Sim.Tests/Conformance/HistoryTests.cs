using k8s;
using System.Text.Json.Nodes;
using k8s.Models;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Conformance;

/// <summary>A cluster that keeps only 50 changes per resource, so a watch from an early resourceVersion is too old.</summary>
public sealed class SmallHistoryFixture : SimClusterFixture
{
    internal override Api.ApiServerOptions ApiOptions => base.ApiOptions with { HistoryPerResource = 50 };
}

/// <summary>410 Gone for a resourceVersion older than the kept history, and the relist that recovers from it.</summary>
public sealed class HistoryTests(SmallHistoryFixture cluster) : IClassFixture<SmallHistoryFixture>
{
    private async Task<string> ResourceVersionOutlivedByChangesAsync(string name)
    {
        var cm = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["n"] = "0" } }, "default");
        for (var i = 1; i <= 60; i++)
        {
            await cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(
                new V1Patch(new JsonObject { ["data"] = new JsonObject { ["n"] = $"{i}" } }.ToJsonString(), V1Patch.PatchType.MergePatch), name, "default");
        }

        return cm.Metadata.ResourceVersion;
    }

    [Fact]
    public async Task ClientWatchFromACompactedVersionReports410ThroughOnErrorAndRelistRecovers()
    {
        var early = await ResourceVersionOutlivedByChangesAsync("history-client");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        // KubernetesClient turns an ERROR event into a KubernetesException passed to onError and yields nothing for it.
        var errors = new List<Exception>();
        var events = 0;
        await foreach (var _ in cluster.Client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: early,
            onError: errors.Add, cancellationToken: cts.Token))
        {
            events++;
        }

        Assert.Equal(0, events);
        var gone = Assert.IsType<KubernetesException>(Assert.Single(errors));
        Assert.Equal(410, gone.Status.Code);
        Assert.Equal("Expired", gone.Status.Reason);
        Assert.StartsWith($"too old resource version: {early}", gone.Status.Message);

        // Relist, then watch from the list's resourceVersion: the next change arrives.
        var relist = await cluster.Client.CoreV1.ListNamespacedConfigMapAsync("default");
        Assert.Equal("60", relist.Items.Single(c => c.Metadata.Name == "history-client").Data["n"]);
        var next = cluster.Client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: relist.Metadata.ResourceVersion,
            cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token);
        await cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"n":"61"}}""", V1Patch.PatchType.MergePatch), "history-client", "default");
        Assert.True(await next.MoveNextAsync());
        Assert.Equal((WatchEventType.Modified, "61"), (next.Current.Item1, next.Current.Item2.Data["n"]));
        await next.DisposeAsync();
    }

    [Fact]
    public async Task KubectlRawWatchFromACompactedVersionPrintsAnErrorEventWithCode410()
    {
        var early = await ResourceVersionOutlivedByChangesAsync("history-kubectl");

        var result = await cluster.KubectlAsync("get", "--raw", $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={early}");

        var line = Assert.Single(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var e = JsonNode.Parse(line)!;
        Assert.Equal("ERROR", (string?)e["type"]);
        Assert.Equal("Status", (string?)e["object"]?["kind"]);
        Assert.Equal(410, (int?)e["object"]?["code"]);
    }
}
