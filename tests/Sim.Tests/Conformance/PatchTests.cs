using Runai.Sim.Tests.Conformance.Support;
using Runai.Sim.Tests.Support;
using static Runai.Sim.Tests.Conformance.Support.Manifests;

namespace Runai.Sim.Tests.Conformance;

/// <summary>Merge, strategic merge and JSON patch, and server-side apply with field managers.</summary>
public sealed class PatchTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    [Theory, ClassData(typeof(BothClients))]
    public async Task MergePatchSetsAndRemovesKeys(string client)
    {
        var via = cluster.Driver(client);
        var cm = ConfigMap("default", UniqueName("merge"), new Dictionary<string, string> { ["keep"] = "1", ["drop"] = "2" });
        (await via.CreateAsync(cm)).Ok.ToString();

        var patched = (await via.PatchAsync(cm.Ref, PatchKind.Merge, """{"data":{"added":"3","drop":null}}""")).Ok;

        Assert.Equal(["added", "keep"], patched["data"]!.AsObject().Select(kv => kv.Key).Order());
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task JsonPatchAppliesItsOperationsInOrder(string client)
    {
        var via = cluster.Driver(client);
        var cm = ConfigMap("default", UniqueName("jsonpatch"));
        (await via.CreateAsync(cm)).Ok.ToString();

        var patched = (await via.PatchAsync(cm.Ref, PatchKind.Json,
            """[{"op":"add","path":"/data/b","value":"2"},{"op":"copy","from":"/data/b","path":"/data/c"},{"op":"replace","path":"/data/k","value":"w"}]""")).Ok;

        Assert.Equal("2", (string?)patched["data"]?["c"]);
        Assert.Equal("w", (string?)patched["data"]?["k"]);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task AFailedJsonPatchTestChangesNothing(string client)
    {
        var via = cluster.Driver(client);
        var cm = ConfigMap("default", UniqueName("jsontest"));
        (await via.CreateAsync(cm)).Ok.ToString();

        var error = (await via.PatchAsync(cm.Ref, PatchKind.Json,
            """[{"op":"replace","path":"/data/k","value":"w"},{"op":"test","path":"/data/k","value":"not-this"}]""")).Failure;

        Assert.Equal(422, error.Code);
        Assert.Equal("v", (string?)(await via.GetAsync(cm.Ref)).Ok["data"]?["k"]);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task StrategicMergePatchMergesContainersByName(string client)
    {
        var via = cluster.Driver(client);
        var pod = Pod("default", UniqueName("smp")).With(o => o["spec"]!["containers"]!.AsArray().Add(
            new System.Text.Json.Nodes.JsonObject { ["name"] = "sidecar", ["image"] = "envoy:1" }));
        (await via.CreateAsync(pod)).Ok.ToString();

        var patched = (await via.PatchAsync(pod.Ref, PatchKind.Strategic, """{"spec":{"containers":[{"name":"main","image":"busybox:1.37"}]}}""")).Ok;

        var containers = patched["spec"]!["containers"]!.AsArray();
        Assert.Equal(["main:busybox:1.37", "sidecar:envoy:1"],
            containers.Select(c => $"{c!["name"]}:{c["image"]}").Order());
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task ServerSideApplyConflictsBetweenManagersUntilForced(string client)
    {
        var via = cluster.Driver(client);
        var cm = ConfigMap("default", UniqueName("ssa"), new Dictionary<string, string> { ["owner"] = "alice" });

        var created = (await via.ApplyAsync(cm, "alice")).Ok;
        var conflict = (await via.ApplyAsync(cm.With(o => o["data"]!["owner"] = "bob"), "bob")).Failure;
        var forced = (await via.ApplyAsync(cm.With(o => o["data"]!["owner"] = "bob"), "bob", force: true)).Ok;

        Assert.Equal("alice", (string?)created["data"]?["owner"]);
        Assert.Equal(409, conflict.Code);
        Assert.Equal("Conflict", conflict.Reason);
        Assert.Contains("\"alice\"", conflict.Message);
        Assert.Contains(".data.owner", conflict.Message);
        Assert.Equal("bob", (string?)forced["data"]?["owner"]);
        var managers = forced["metadata"]!["managedFields"]!.AsArray()
            .Where(f => f!["fieldsV1"]?["f:data"]?["f:owner"] is not null).Select(f => (string?)f!["manager"]).ToList();
        Assert.Equal(["bob"], managers);
    }
}
