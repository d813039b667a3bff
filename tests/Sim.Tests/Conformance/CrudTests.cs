using k8s;
using Runai.Sim.Tests.Conformance.Support;
using Runai.Sim.Tests.Support;
using static Runai.Sim.Tests.Conformance.Support.Manifests;

namespace Runai.Sim.Tests.Conformance;

/// <summary>Create, read, list, replace and delete; the errors clients branch on (404, 409, 422) with their Status bodies.</summary>
public sealed class CrudTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    [Theory, ClassData(typeof(BothClients))]
    public async Task CreatedObjectIsReadBackWithServerMetadataAndGoesAwayWhenDeleted(string client)
    {
        var via = cluster.Driver(client);
        var cm = ConfigMap("default", UniqueName("crud"), new Dictionary<string, string> { ["colour"] = "blue" });

        var created = (await via.CreateAsync(cm)).Ok;
        var read = (await via.GetAsync(cm.Ref)).Ok;

        Assert.Equal("blue", (string?)read["data"]?["colour"]);
        Assert.False(string.IsNullOrEmpty((string?)read["metadata"]?["uid"]));
        Assert.False(string.IsNullOrEmpty((string?)read["metadata"]?["creationTimestamp"]));
        Assert.Equal((string?)created["metadata"]?["resourceVersion"], (string?)read["metadata"]?["resourceVersion"]);
        Assert.Contains(cm.Name, (await via.ListAsync(Kind.ConfigMap, "default")).Names);

        (await via.DeleteAsync(cm.Ref)).Ok.ToString();
        Assert.Equal("NotFound", (await via.GetAsync(cm.Ref)).Failure.Reason);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task MissingObjectIsNotFoundWithAStatusBody(string client)
    {
        var name = UniqueName("missing");

        var error = (await cluster.Driver(client).GetAsync(new ObjectRef(Kind.ConfigMap, "default", name))).Failure;

        Assert.Equal(404, error.Code);
        Assert.Equal("NotFound", error.Reason);
        Assert.Equal($"configmaps \"{name}\" not found", error.Message);
        if (client == "kubectl")
        {
            Assert.Equal($"Error from server (NotFound): configmaps \"{name}\" not found", error.Printed);
        }
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task CreatingAnExistingNameIsAlreadyExists(string client)
    {
        var via = cluster.Driver(client);
        var cm = ConfigMap("default", UniqueName("twice"));
        (await via.CreateAsync(cm)).Ok.ToString();

        var error = (await via.CreateAsync(cm)).Failure;

        Assert.Equal(409, error.Code);
        Assert.Equal("AlreadyExists", error.Reason);
        Assert.Equal($"configmaps \"{cm.Name}\" already exists", error.Message);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task ReplaceWithAStaleResourceVersionIsAConflict(string client)
    {
        var via = cluster.Driver(client);
        var cm = ConfigMap("default", UniqueName("stale"));
        var first = (await via.CreateAsync(cm)).Ok;
        var staleRv = (string)first["metadata"]!["resourceVersion"]!;
        (await via.PatchAsync(cm.Ref, PatchKind.Merge, """{"data":{"k":"changed-by-someone-else"}}""")).Ok.ToString();

        var error = (await via.ReplaceAsync(cm.With(o => { o["metadata"]!["resourceVersion"] = staleRv; o["data"]!["k"] = "mine"; }))).Failure;

        Assert.Equal(409, error.Code);
        Assert.Equal("Conflict", error.Reason);
        Assert.Contains("the object has been modified", error.Message);
        Assert.Equal("changed-by-someone-else", (string?)(await via.GetAsync(cm.Ref)).Ok["data"]?["k"]);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task ReplaceWithTheCurrentResourceVersionSucceedsAndMovesIt(string client)
    {
        var via = cluster.Driver(client);
        var cm = ConfigMap("default", UniqueName("fresh"));
        var current = (await via.CreateAsync(cm)).Ok;

        var replaced = (await via.ReplaceAsync(cm.With(o => { o["metadata"]!["resourceVersion"] = current["metadata"]!["resourceVersion"]!.DeepClone(); o["data"]!["k"] = "mine"; }))).Ok;

        Assert.Equal("mine", (string?)replaced["data"]?["k"]);
        Assert.True(long.Parse((string)replaced["metadata"]!["resourceVersion"]!) > long.Parse((string)current["metadata"]!["resourceVersion"]!));
    }

    // A real server checks the resourceVersion precondition before it notices that the write changes nothing.
    [Theory, ClassData(typeof(BothClients))]
    public async Task ReplaceWithAStaleResourceVersionIsAConflictEvenWhenNothingChanges(string client)
    {
        var via = cluster.Driver(client);
        var cm = ConfigMap("default", UniqueName("noop"));
        var first = (await via.CreateAsync(cm)).Ok;
        (await via.PatchAsync(cm.Ref, PatchKind.Merge, """{"metadata":{"labels":{"moved":"yes"}}}""")).Ok.ToString();
        var now = (await via.GetAsync(cm.Ref)).Ok;

        var error = (await via.ReplaceAsync(new Manifest(Kind.ConfigMap, now).With(o => o["metadata"]!["resourceVersion"] = first["metadata"]!["resourceVersion"]!.DeepClone()))).Failure;

        Assert.Equal("Conflict", error.Reason);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task AnInvalidNameIsUnprocessable(string client)
    {
        var error = (await cluster.Driver(client).CreateAsync(ConfigMap("default", "Not_A_Name"))).Failure;

        Assert.Equal(422, error.Code);
        Assert.Equal("Invalid", error.Reason);
        Assert.Contains("metadata.name: Invalid value: \"Not_A_Name\"", error.Message);
    }

    // kubectl's generators (create configmap/namespace/secret) send protobuf, which a real server accepts for built-in kinds.
    [Fact]
    public async Task KubectlCreateConfigMapCommandCreatesIt()
    {
        var name = UniqueName("generated");

        var result = await cluster.KubectlAsync("create", "configmap", name, "-n", "default", "--from-literal=k=v");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("v", (await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync(name, "default")).Data["k"]);
    }
}
