using System.Text.Json.Nodes;
using Runai.Sim.Tests.Conformance.Support;
using Runai.Sim.Tests.Support;
using static Runai.Sim.Tests.Conformance.Support.Manifests;

namespace Runai.Sim.Tests.Conformance;

/// <summary>Finalizers hold a deleted object; owner references cascade by propagation policy; a deleted namespace empties first.</summary>
public sealed class DeletionTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    private const string Hold = "example.com/hold";

    private static Manifest Held(Manifest m) => m.With(o => o["metadata"]!["finalizers"] = new JsonArray(Hold));

    private async Task<bool> GoneAsync(IApiDriver via, ObjectRef r) => (await via.GetAsync(r)).Error?.Reason == "NotFound";

    [Theory, ClassData(typeof(BothClients))]
    public async Task AFinalizerHoldsADeletedObjectUntilItIsRemoved(string client)
    {
        var via = cluster.Driver(client);
        var cm = Held(ConfigMap("default", UniqueName("final")));
        (await via.CreateAsync(cm)).Ok.ToString();

        (await via.DeleteAsync(cm.Ref)).Ok.ToString();
        var terminating = (await via.GetAsync(cm.Ref)).Ok;
        (await via.PatchAsync(cm.Ref, PatchKind.Merge, """{"metadata":{"finalizers":null}}""")).Ok.ToString();

        Assert.NotNull(terminating["metadata"]?["deletionTimestamp"]);
        Assert.True(await GoneAsync(via, cm.Ref), "the object outlived its last finalizer");
    }

    private async Task<(Manifest Owner, Manifest[] Dependents)> FamilyAsync(IApiDriver via, string ns, bool holdFirstDependent = false)
    {
        var owner = ConfigMap(ns, UniqueName("owner"));
        var created = (await via.CreateAsync(owner)).Ok;
        var dependents = new[] { ConfigMap(ns, UniqueName("dep")), ConfigMap(ns, UniqueName("dep")) }
            .Select(d => d.With(o => o["metadata"]!["ownerReferences"] = new JsonArray(OwnerReference(created)))).ToArray();
        if (holdFirstDependent)
        {
            dependents[0] = Held(dependents[0]);
        }

        foreach (var d in dependents)
        {
            (await via.CreateAsync(d)).Ok.ToString();
        }

        return (owner, dependents);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task BackgroundDeletionRemovesDependentsAfterTheOwner(string client)
    {
        var via = cluster.Driver(client);
        var (owner, dependents) = await FamilyAsync(via, "default");

        (await via.DeleteAsync(owner.Ref, "Background")).Ok.ToString();

        Assert.True(await GoneAsync(via, owner.Ref));
        foreach (var d in dependents)
        {
            await Via.EventuallyAsync(() => GoneAsync(via, d.Ref), $"dependent {d.Name} is garbage-collected");
        }
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task OrphanDeletionKeepsDependentsWithoutTheReference(string client)
    {
        var via = cluster.Driver(client);
        var (owner, dependents) = await FamilyAsync(via, "default");

        (await via.DeleteAsync(owner.Ref, "Orphan")).Ok.ToString();

        await Via.EventuallyAsync(() => GoneAsync(via, owner.Ref), "the owner is deleted");
        foreach (var d in dependents)
        {
            var kept = (await via.GetAsync(d.Ref)).Ok;
            Assert.Null(kept["metadata"]?["ownerReferences"]);
            Assert.Null(kept["metadata"]?["deletionTimestamp"]);
        }
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task ForegroundDeletionWaitsForEveryDependent(string client)
    {
        var via = cluster.Driver(client);
        var (owner, dependents) = await FamilyAsync(via, "default", holdFirstDependent: true);

        (await via.DeleteAsync(owner.Ref, "Foreground")).Ok.ToString();

        await Via.EventuallyAsync(() => GoneAsync(via, dependents[1].Ref), "the unheld dependent is deleted");
        var waiting = (await via.GetAsync(owner.Ref)).Ok;
        Assert.NotNull(waiting["metadata"]?["deletionTimestamp"]);
        Assert.Contains("foregroundDeletion", waiting["metadata"]!["finalizers"]!.AsArray().Select(f => (string?)f));
        Assert.NotNull((await via.GetAsync(dependents[0].Ref)).Ok["metadata"]?["deletionTimestamp"]);

        (await via.PatchAsync(dependents[0].Ref, PatchKind.Merge, """{"metadata":{"finalizers":null}}""")).Ok.ToString();
        await Via.EventuallyAsync(() => GoneAsync(via, owner.Ref), "the owner goes once its last dependent is gone");
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task DeletingANamespaceEmptiesItThenRemovesIt(string client)
    {
        var via = cluster.Driver(client);
        var ns = await cluster.NewNamespaceAsync("doomed");
        (await via.CreateAsync(ConfigMap(ns, "cm"))).Ok.ToString();
        (await via.CreateAsync(Pod(ns, "pod"))).Ok.ToString();

        (await via.DeleteAsync(new ObjectRef(Kind.Namespace, "", ns))).Ok.ToString();

        await Via.EventuallyAsync(() => GoneAsync(via, new ObjectRef(Kind.Namespace, "", ns)), $"namespace {ns} is deleted");
        Assert.Empty((await via.ListAsync(Kind.ConfigMap, ns)).Names);
        Assert.Empty((await via.ListAsync(Kind.Pod, ns)).Names);
    }
}
