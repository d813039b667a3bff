using k8s;
using k8s.Models;
using Runai.Sim.Tests.Conformance.Support;
using Runai.Sim.Tests.Support;
using static Runai.Sim.Tests.Conformance.Support.Manifests;

namespace Runai.Sim.Tests.Conformance;

/// <summary>Watches: changes arrive in order as they happen; bookmarks when asked for; timeoutSeconds ends a watch cleanly.</summary>
public sealed class WatchTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Theory, ClassData(typeof(BothClients))]
    public async Task WatchShowsAddedModifiedDeletedInOrder(string client)
    {
        var ns = await cluster.NewNamespaceAsync("watch");
        var admin = new ClientDriver(cluster.Client);
        var before = (await cluster.Client.CoreV1.ListNamespacedPodAsync(ns)).Metadata.ResourceVersion;
        var pod = Pod(ns, "watched");
        (await admin.CreateAsync(pod)).Ok.ToString();

        await using var watch = await cluster.Driver(client).WatchPodsAsync(ns, before);
        Assert.Equal(new SeenEvent("ADDED", "watched"), await watch.NextAsync(Patience));
        (await admin.PatchAsync(pod.Ref, PatchKind.Merge, """{"metadata":{"labels":{"step":"two"}}}""")).Ok.ToString();
        Assert.Equal(new SeenEvent("MODIFIED", "watched"), await watch.NextAsync(Patience));
        (await admin.DeleteAsync(pod.Ref)).Ok.ToString();
        Assert.Equal(new SeenEvent("DELETED", "watched"), await watch.NextAsync(Patience));
    }

    [Fact]
    public async Task ClientWatchGetsBookmarksWhenItAsksForThem()
    {
        var ns = await cluster.NewNamespaceAsync("bookmark");
        var list = await cluster.Client.CoreV1.ListNamespacedPodAsync(ns);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var seen = new List<(WatchEventType Type, string? Rv)>();
        await foreach (var (type, pod) in cluster.Client.CoreV1.WatchListNamespacedPodAsync(ns, allowWatchBookmarks: true,
            resourceVersion: list.Metadata.ResourceVersion, cancellationToken: cts.Token))
        {
            seen.Add((type, pod.Metadata?.ResourceVersion));
            break;
        }

        var (first, rv) = Assert.Single(seen);
        Assert.Equal(WatchEventType.Bookmark, first);
        Assert.True(long.Parse(rv!) >= long.Parse(list.Metadata.ResourceVersion));
    }

    [Fact]
    public async Task KubectlRawWatchPrintsBookmarkEventsAndEndsAtTimeoutSeconds()
    {
        var ns = await cluster.NewNamespaceAsync("bookmark");

        var result = await cluster.KubectlAsync("get", "--raw", $"/api/v1/namespaces/{ns}/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=3");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":", result.Stdout);
    }

    [Fact]
    public async Task ClientWatchEndsWhenTimeoutSecondsElapse()
    {
        // One pod, so the stream is not empty: KubernetesClient fails on a watch body with no line at all
        // (EndOfStreamException, checked with curl that the server ends both HTTP/1.1 and HTTP/2 streams cleanly).
        var ns = await cluster.NewNamespaceAsync("timeout");
        (await new ClientDriver(cluster.Client).CreateAsync(Pod(ns, "present"))).Ok.ToString();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var started = DateTime.UtcNow;

        var events = 0;
        await foreach (var _ in cluster.Client.CoreV1.WatchListNamespacedPodAsync(ns, timeoutSeconds: 1, cancellationToken: cts.Token))
        {
            events++;
        }

        Assert.Equal(1, events);
        Assert.False(cts.IsCancellationRequested, "the server did not end the watch; the test's own deadline did");
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(15));
    }
}
