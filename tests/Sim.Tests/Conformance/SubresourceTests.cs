using Runai.Sim.Tests.Conformance.Support;
using Runai.Sim.Tests.Support;
using static Runai.Sim.Tests.Conformance.Support.Manifests;

namespace Runai.Sim.Tests.Conformance;

/// <summary>The status subresource splits who writes spec from who writes status; pods/binding is how a scheduler places a pod.</summary>
public sealed class SubresourceTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    [Theory, ClassData(typeof(BothClients))]
    public async Task SpecChangesSentToStatusAreIgnored(string client)
    {
        var via = cluster.Driver(client);
        var project = Project(UniqueName("status"), quota: 1);
        (await via.CreateAsync(project)).Ok.ToString();

        var patched = (await via.PatchAsync(project.Ref, PatchKind.Merge, """{"spec":{"gpus":{"quota":5}},"status":{"observedGeneration":1}}""", status: true)).Ok;

        Assert.Equal(1, (int?)patched["spec"]?["gpus"]?["quota"]);
        Assert.Equal(1, (int?)patched["status"]?["observedGeneration"]);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task StatusChangesSentToTheMainResourceAreIgnored(string client)
    {
        var via = cluster.Driver(client);
        var project = Project(UniqueName("main"), quota: 1);
        (await via.CreateAsync(project)).Ok.ToString();

        var patched = (await via.PatchAsync(project.Ref, PatchKind.Merge, """{"spec":{"gpus":{"quota":3}},"status":{"observedGeneration":7}}""")).Ok;

        Assert.Equal(3, (int?)patched["spec"]?["gpus"]?["quota"]);
        Assert.Null(patched["status"]?["observedGeneration"]);
        Assert.Equal(2, (int?)patched["metadata"]?["generation"]);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task BindingSetsTheNodeAndASecondBindingConflicts(string client)
    {
        var via = cluster.Driver(client);
        var pod = Pod("default", UniqueName("bind"));
        (await via.CreateAsync(pod)).Ok.ToString();

        (await via.BindAsync("default", pod.Name, "node-a")).Ok.ToString();
        var again = (await via.BindAsync("default", pod.Name, "node-b")).Failure;

        var bound = (await via.GetAsync(pod.Ref)).Ok;
        Assert.Equal("node-a", (string?)bound["spec"]?["nodeName"]);
        Assert.Contains(bound["status"]!["conditions"]!.AsArray(), c => (string?)c!["type"] == "PodScheduled" && (string?)c["status"] == "True");
        Assert.Equal(409, again.Code);
        Assert.Equal("Conflict", again.Reason);
        Assert.Contains("already assigned to node \"node-a\"", again.Message);
    }
}
