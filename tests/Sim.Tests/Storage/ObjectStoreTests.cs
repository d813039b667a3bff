using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Api.Storage;

namespace Runai.Sim.Tests.Storage;

public sealed class ObjectStoreTests
{
    private static readonly ResourceDefinition ConfigMaps = BuiltInResources.Find("", "configmaps")!;

    private static JsonObject ConfigMap(string name, string ns = "default", string value = "v") => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = Guid.NewGuid().ToString(), ["labels"] = new JsonObject { ["app"] = name } },
        ["data"] = new JsonObject { ["k"] = value },
    };

    [Fact]
    public void EveryWriteTakesTheNextGlobalResourceVersion()
    {
        var store = new ObjectStore();
        var a = store.Create(ConfigMaps, ConfigMap("a"));
        var b = store.Create(ConfigMaps, ConfigMap("b"));
        var a2 = store.Update(ConfigMaps, ConfigMap("a", value: "w"), a.ResourceVersion);

        Assert.True(a.ResourceVersion < b.ResourceVersion && b.ResourceVersion < a2.ResourceVersion);
        Assert.Equal(a2.ResourceVersion.ToString(), (string?)a2.ToJsonObject()["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public void CreatingAnExistingNameIsAlreadyExists()
    {
        var store = new ObjectStore();
        store.Create(ConfigMaps, ConfigMap("a"));

        var e = Assert.Throws<ApiException>(() => store.Create(ConfigMaps, ConfigMap("a")));

        Assert.Equal((409, "AlreadyExists"), (e.Code, e.Reason));
    }

    [Fact]
    public void StaleResourceVersionIsAConflict()
    {
        var store = new ObjectStore();
        var a = store.Create(ConfigMaps, ConfigMap("a"));
        store.Update(ConfigMaps, ConfigMap("a", value: "w"), a.ResourceVersion);

        var e = Assert.Throws<ApiException>(() => store.Update(ConfigMaps, ConfigMap("a", value: "x"), a.ResourceVersion));

        Assert.Equal((409, "Conflict"), (e.Code, e.Reason));
        Assert.Contains("the object has been modified", e.Message);
    }

    [Fact]
    public void ListIsSortedAndScopedToTheNamespace()
    {
        var store = new ObjectStore();
        store.Create(ConfigMaps, ConfigMap("b"));
        store.Create(ConfigMaps, ConfigMap("a"));
        store.Create(ConfigMaps, ConfigMap("c", "other"));

        Assert.Equal(["a", "b"], store.List(ConfigMaps.GroupResource, "default").Items.Select(o => o.Name));
        Assert.Equal(3, store.List(ConfigMaps.GroupResource, null).Items.Count);
    }

    [Fact]
    public async Task AWatchReplaysHistoryAfterItsResourceVersionThenFollowsLiveChanges()
    {
        var store = new ObjectStore();
        var a = store.Create(ConfigMaps, ConfigMap("a"));
        store.Update(ConfigMaps, ConfigMap("a", value: "w"), null);
        using var watcher = store.Watch(ConfigMaps.GroupResource, null, a.ResourceVersion);
        store.Delete(ConfigMaps, "default", "a");

        var seen = new List<WatchEventType>();
        while (seen.Count < 2 && await watcher.Events.WaitToReadAsync(new CancellationTokenSource(2000).Token))
        {
            while (watcher.Events.TryRead(out var e))
            {
                seen.Add(e.Type);
            }
        }

        Assert.Equal([WatchEventType.Modified, WatchEventType.Deleted], seen);
    }

    [Fact]
    public void AWatchFromACompactedResourceVersionIsGone()
    {
        var store = new ObjectStore(historyPerResource: 3);
        var first = store.Create(ConfigMaps, ConfigMap("a"));
        for (var i = 0; i < 5; i++)
        {
            store.Update(ConfigMaps, ConfigMap("a", value: i.ToString()), null);
        }

        var e = Assert.Throws<ApiException>(() => store.Watch(ConfigMaps.GroupResource, null, first.ResourceVersion));

        Assert.Equal(410, e.Code);
        Assert.StartsWith("too old resource version", e.Message);
    }

    [Fact]
    public void AWatcherThatFallsTooFarBehindIsCutOffAndTold()
    {
        var store = new ObjectStore(watcherBuffer: 2);
        using var watcher = store.Watch(ConfigMaps.GroupResource, null, 0);
        for (var i = 0; i < 4; i++)
        {
            store.Create(ConfigMaps, ConfigMap("c" + i));
        }

        Assert.True(watcher.Overflowed);
        var delivered = 0;
        while (watcher.Events.TryRead(out _))
        {
            delivered++;
        }

        Assert.True(delivered <= 2, $"{delivered} events were queued beyond the buffer");
        Assert.True(watcher.Events.Completion.IsCompleted, "an overflowed watch must end so the client re-watches");
    }

    [Fact]
    public void ABookmarkIsOfferedOnlyWhenNothingIsQueuedForTheWatcher()
    {
        var store = new ObjectStore();
        using var watcher = store.Watch(ConfigMaps.GroupResource, null, 0);
        store.Create(ConfigMaps, ConfigMap("a"));

        Assert.Null(store.SafeBookmark(watcher));
        Assert.True(watcher.Events.TryRead(out _));
        watcher.Taken();
        Assert.Equal(store.CurrentRevision, store.SafeBookmark(watcher));
    }

    [Fact]
    public void DependentsAreFoundByOwnerUidAndDanglingOwnersAreReported()
    {
        var store = new ObjectStore();
        var owner = store.Create(ConfigMaps, ConfigMap("owner"));
        var child = ConfigMap("child");
        child["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["uid"] = owner.Uid, ["kind"] = "ConfigMap", ["name"] = "owner", ["apiVersion"] = "v1" });
        store.Create(ConfigMaps, child);

        Assert.Equal(["child"], store.Dependents(owner.Uid).Select(d => d.Name));
        Assert.Empty(store.DanglingOwnerUids());
        store.Delete(ConfigMaps, "default", "owner");
        Assert.Equal([owner.Uid], store.DanglingOwnerUids());
    }

    [Fact]
    public void AnUpdateThatDropsTheOwnerReferenceEndsTheDependency()
    {
        var store = new ObjectStore();
        var owner = store.Create(ConfigMaps, ConfigMap("owner"));
        var child = ConfigMap("child");
        var childUid = (string)child["metadata"]!["uid"]!;
        child["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["uid"] = owner.Uid, ["kind"] = "ConfigMap", ["name"] = "owner", ["apiVersion"] = "v1" });
        store.Create(ConfigMaps, child);

        var orphaned = ConfigMap("child");
        orphaned["metadata"]!["uid"] = childUid;
        store.Update(ConfigMaps, orphaned, null);
        store.Delete(ConfigMaps, "default", "owner");

        Assert.Empty(store.Dependents(owner.Uid));
        Assert.Empty(store.DanglingOwnerUids());
        Assert.Equal("child", store.FindByUid(childUid)?.Name);
    }
}
