using k8s;
using k8s.Models;
using Runai.Core.Runtime;
using Runai.Runtime.Tests.Support;

namespace Runai.Runtime.Tests;

/// <summary>A shared informer against the real simulated API through a proxy that can cut every connection.</summary>
public sealed class InformerWatchTests(SimApiFixture sim) : IClassFixture<SimApiFixture>
{
    private static readonly InformerOptions<V1ConfigMap> FastRetry = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>What a handler knows, built only from the events it was given; it fails on any impossible event.</summary>
    private sealed class HandlerView
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, V1ConfigMap> _objects = [];
        private readonly List<string> _problems = [];

        public HashSet<(string Key, string Rv)> Seen { get; } = [];

        public void On(InformerEvent<V1ConfigMap> e)
        {
            lock (_gate)
            {
                var rv = e.Object.Metadata.ResourceVersion;
                var known = _objects.TryGetValue(e.Key, out var current);
                switch (e.Type)
                {
                    case InformerEventType.Added when known:
                        _problems.Add($"Added {e.Key} twice");
                        break;
                    case InformerEventType.Updated or InformerEventType.Deleted when !known:
                        _problems.Add($"{e.Type} for {e.Key}, which the handler never saw");
                        break;
                    case InformerEventType.Updated when long.Parse(rv) <= long.Parse(current!.Metadata.ResourceVersion):
                        _problems.Add($"{e.Key} went from {current.Metadata.ResourceVersion} to {rv}");
                        break;
                }

                if (e.Type != InformerEventType.Deleted && !Seen.Add((e.Key, rv)))
                {
                    _problems.Add($"{e.Key} at {rv} delivered twice");
                }

                if (e.Type == InformerEventType.Deleted)
                {
                    _objects.Remove(e.Key);
                }
                else
                {
                    _objects[e.Key] = e.Object;
                }
            }
        }

        public Dictionary<string, (string Rv, string? Value)> Snapshot()
        {
            lock (_gate)
            {
                Assert.Empty(_problems);
                return _objects.ToDictionary(kv => kv.Key, kv => (kv.Value.Metadata.ResourceVersion, kv.Value.Data?["v"]));
            }
        }
    }

    private async Task<Dictionary<string, (string Rv, string? Value)>> ServerStateAsync(string ns)
    {
        var list = await sim.Admin.CoreV1.ListNamespacedConfigMapAsync(ns);
        return list.Items.Where(c => c.Metadata.Name.StartsWith("cm-", StringComparison.Ordinal))
            .ToDictionary(c => ObjectKey.Of(c), c => (c.Metadata.ResourceVersion, c.Data?["v"]));
    }

    private static bool SameState(Dictionary<string, (string, string?)> a, Dictionary<string, (string, string?)> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private async Task<string> PutAsync(string ns, string name, string value)
    {
        var body = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["v"] = value } };
        try
        {
            var updated = await sim.Admin.CoreV1.ReplaceNamespacedConfigMapAsync(body, name, ns);
            return updated.Metadata.ResourceVersion;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return (await sim.Admin.CoreV1.CreateNamespacedConfigMapAsync(body, ns)).Metadata.ResourceVersion;
        }
    }

    private static double Restarts(string component, string reason) =>
        ControllerMetrics.WatchRestarts.WithLabels(component, "configmaps", reason).Value;

    [Fact]
    public async Task AWatchSurvivesADisconnectAndA410WithoutLosingOrRepeatingAnEvent()
    {
        var ns = await sim.NewNamespaceAsync();
        var component = "informer-test-" + ns;
        using var client = sim.ClientThroughProxy();
        var factory = new InformerFactory(client, component);
        var informer = factory.Get(ResourceClient.ConfigMaps, FastRetry with { Namespace = ns });
        var view = new HandlerView();
        using var _ = informer.AddHandler(e =>
        {
            if (e.Key.Contains("/cm-", StringComparison.Ordinal))
            {
                view.On(e);
            }
        });
        using var stop = new CancellationTokenSource();
        var running = factory.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        for (var i = 0; i < 5; i++)
        {
            await PutAsync(ns, $"cm-{i}", "0");
        }

        await Wait.UntilAsync(async () => SameState(view.Snapshot(), await ServerStateAsync(ns)), "the first five objects");

        // A short outage: fewer writes than the server's history holds, so the watch resumes where it was.
        sim.Proxy.Blocked = true;
        sim.Proxy.Sever();
        var written = new List<(string Key, string Rv)>
        {
            ($"{ns}/cm-0", await PutAsync(ns, "cm-0", "1")),
            ($"{ns}/cm-0", await PutAsync(ns, "cm-0", "2")),
            ($"{ns}/cm-5", await PutAsync(ns, "cm-5", "0")),
        };
        await sim.Admin.CoreV1.DeleteNamespacedConfigMapAsync("cm-1", ns);
        sim.Proxy.Blocked = false;
        await Wait.UntilAsync(async () => SameState(view.Snapshot(), await ServerStateAsync(ns)), "the state after a short outage");
        Assert.All(written, w => Assert.Contains(w, view.Seen));
        Assert.True(Restarts(component, "error") + Restarts(component, "closed") >= 1, "the dropped watch was not counted");
        Assert.Equal(0, Restarts(component, "expired"));

        // A long outage: more writes than the history holds, so resuming gets 410 Gone and the informer relists.
        sim.Proxy.Blocked = true;
        sim.Proxy.Sever();
        for (var i = 0; i < 3 * SimApiFixture.History; i++)
        {
            await PutAsync(ns, "cm-2", $"{i}");
        }

        await sim.Admin.CoreV1.DeleteNamespacedConfigMapAsync("cm-3", ns);
        await PutAsync(ns, "cm-6", "0");
        await PutAsync(ns, "cm-4", "1");
        sim.Proxy.Blocked = false;
        var final = await ServerStateAsync(ns);
        await Wait.UntilAsync(() => SameState(view.Snapshot(), final), "the state after a long outage");
        Assert.True(Restarts(component, "expired") >= 1, "the informer never saw 410 Gone");
        Assert.Equal(final.Count, informer.List().Count(c => c.Metadata.Name.StartsWith("cm-", StringComparison.Ordinal)));

        // And the watch goes on after the relist.
        var after = await PutAsync(ns, "cm-0", "after");
        await Wait.UntilAsync(() => view.Seen.Contains(($"{ns}/cm-0", after)), "a change after the relist");

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task IndexersAndLateHandlersSeeTheCachedObjects()
    {
        var ns = await sim.NewNamespaceAsync();
        var factory = new InformerFactory(sim.Admin, "index-test-" + ns);
        var informer = factory.Get(ResourceClient.ConfigMaps, InformerOptions<V1ConfigMap>.Default with { Namespace = ns });
        informer.AddIndexer("value", c => c.Data?.Values ?? []);
        Assert.Same(informer, factory.Get(ResourceClient.ConfigMaps, InformerOptions<V1ConfigMap>.Default with { Namespace = ns }));
        await PutAsync(ns, "cm-a", "gpu");
        await PutAsync(ns, "cm-b", "cpu");
        using var stop = new CancellationTokenSource();
        var running = factory.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(["cm-a"], informer.ByIndex("value", "gpu").Select(c => c.Metadata.Name));
        var late = new List<string>();
        using var _ = informer.AddHandler(e => late.Add(e.Type + " " + e.Object.Metadata.Name));
        Assert.Contains("Added cm-a", late);
        Assert.Contains("Added cm-b", late);

        await PutAsync(ns, "cm-b", "gpu");
        await Wait.UntilAsync(() => informer.ByIndex("value", "gpu").Count == 2, "the index to follow an update");
        Assert.Empty(informer.ByIndex("value", "cpu"));

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
