using Runai.Sim.Cluster;

namespace Runai.Sim.Tests.Cluster;

public sealed class ScenarioTests
{
    [Fact]
    public void TheSeedScenarioHasEightH200NodesTheProjectAndTheMpiJob()
    {
        var seed = Scenario.Load(Path.Combine(AppContext.BaseDirectory, "scenarios", "seed.yaml"));

        Assert.Equal(Enumerable.Range(1, 8).Select(i => $"gpu-worker-0{i}"), seed.Nodes.Select(n => n.Name));
        Assert.All(seed.Nodes, n => Assert.Equal((4, 75377, "gpu-h200-pool"), (n.Gpus, n.GpuMemoryMiB, n.Pool)));
        var project = Assert.Single(seed.Objects, o => (string?)o["kind"] == "Project");
        Assert.Equal(8, (int)project["spec"]!["gpus"]!["quota"]!);
        Assert.Equal(16, (int)project["spec"]!["gpus"]!["limit"]!);
        var job = Assert.Single(seed.Objects, o => (string?)o["kind"] == "MPIJob");
        Assert.Equal("WaitForWorkersReady", (string?)job["spec"]!["launcherCreationPolicy"]);
        Assert.Null(job["spec"]!["mpiReplicaSpecs"]!["Worker"]!["template"]!["spec"]!["schedulerName"]);
    }

    [Theory]
    [InlineData("n-{1..3}", new[] { "n-1", "n-2", "n-3" })]
    [InlineData("gpu-{08..10}", new[] { "gpu-08", "gpu-09", "gpu-10" })]
    [InlineData("single", new[] { "single" })]
    public void NodeNameRangesExpandKeepingTheirWidth(string pattern, string[] expected) =>
        Assert.Equal(expected, Scenario.Expand(pattern, "test"));

    [Theory]
    [InlineData("apiVersion: sim.run.ai/v1alpha1\nkind: Scenario\nnodes:\n- name: a\n  gpus: four\n", "gpus must be a non-negative integer")]
    [InlineData("apiVersion: sim.run.ai/v1alpha1\nkind: Scenario\nnodes:\n- pool: p\n", "has no name")]
    [InlineData("apiVersion: sim.run.ai/v1alpha1\nkind: Scenario\nnodes:\n- name: a\n- name: a\n", "listed twice")]
    [InlineData("kind: ConfigMap\nmetadata:\n  name: x\n", "lacks apiVersion or kind")]
    [InlineData("apiVersion: v1\nkind: [unclosed\n", "line")]
    [InlineData("apiVersion: sim.run.ai/v1alpha1\nkind: Scenario\nnodes:\n- name: n-{5..1}\n", "empty or too large")]
    public void BadScenariosAreRejectedNamingTheProblem(string yaml, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Scenario.Parse(yaml, "bad.yaml"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("bad.yaml", e.Message);
    }
}
