using k8s.Models;
using Runai.Sim.Operators;
using Runai.Sim.Tests.Operators.Support;

namespace Runai.Sim.Tests.Operators;

public sealed class PlacementTests
{
    private static readonly IReadOnlyList<V1Node> EightGpuNodes =
        Enumerable.Range(1, 8).Select(i => TestObjects.Node($"gpu-worker-0{i}", gpus: 4)).ToList();

    [Fact]
    public void PodGoesToTheLeastAllocatedNode()
    {
        var busy = TestObjects.Pod("busy", node: "a", gpus: 3, cpu: "32");
        var nodes = new[] { TestObjects.Node("a"), TestObjects.Node("b") };

        var result = Placement.Place(TestObjects.Pod("new", gpus: 1), nodes, [busy]);

        Assert.Equal("b", result.NodeName);
    }

    [Fact]
    public void EqualNodesAreChosenByName()
    {
        var result = Placement.Place(TestObjects.Pod("new"), [TestObjects.Node("b"), TestObjects.Node("a")], []);

        Assert.Equal("a", result.NodeName);
    }

    [Fact]
    public void PodThatFitsNowhereGetsTheSchedulersMessage()
    {
        var full = EightGpuNodes.Select(n => TestObjects.Pod($"hog-{n.Name()}", node: n.Name(), gpus: 4)).ToList();

        var result = Placement.Place(TestObjects.Pod("new", gpus: 1), EightGpuNodes, full);

        Assert.False(result.Placed);
        Assert.Equal("0/8 nodes are available: 8 Insufficient nvidia.com/gpu.", result.Message);
    }

    [Fact]
    public void FinishedPodsNoLongerHoldResources()
    {
        var done = TestObjects.Pod("done", node: "a", gpus: 4, phase: "Succeeded");

        Assert.Equal("a", Placement.Place(TestObjects.Pod("new", gpus: 4), [TestObjects.Node("a")], [done]).NodeName);
    }

    [Fact]
    public void ReasonsAreCountedPerNodeAndListedInOrder()
    {
        var nodes = new[]
        {
            TestObjects.Node("cordoned"),
            TestObjects.Node("down", ready: false),
            TestObjects.Node("small", cpu: "2"),
            TestObjects.Node("cpu-only", gpus: 0, labels: new Dictionary<string, string> { ["pool"] = "cpu" }),
        };
        nodes[0].Spec.Unschedulable = true;
        var pod = TestObjects.Pod("new", gpus: 1, cpu: "4");
        pod.Spec.NodeSelector = new Dictionary<string, string> { ["kubernetes.io/hostname"] = "small" };

        var result = Placement.Place(pod, nodes, []);

        Assert.Equal("0/4 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, " +
                     "1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable.", result.Message);
    }

    [Fact]
    public void TooManyPodsCountsAgainstThePodsCapacity()
    {
        var node = TestObjects.Node("a", pods: 1);

        var result = Placement.Place(TestObjects.Pod("new"), [node], [TestObjects.Pod("other", node: "a")]);

        Assert.Equal("0/1 nodes are available: 1 Too many pods.", result.Message);
    }

    [Fact]
    public void NoSchedulingTaintNeedsAMatchingToleration()
    {
        var node = TestObjects.Node("a");
        node.Spec.Taints = [new V1Taint { Key = "nvidia.com/gpu", Value = "present", Effect = "NoSchedule" }];
        var plain = TestObjects.Pod("plain");
        var byValue = TestObjects.Pod("by-value");
        byValue.Spec.Tolerations = [new V1Toleration { Key = "nvidia.com/gpu", OperatorProperty = "Equal", Value = "present", Effect = "NoSchedule" }];
        var wrongValue = TestObjects.Pod("wrong-value");
        wrongValue.Spec.Tolerations = [new V1Toleration { Key = "nvidia.com/gpu", Value = "absent" }];
        var anyKey = TestObjects.Pod("any");
        anyKey.Spec.Tolerations = [new V1Toleration { OperatorProperty = "Exists" }];

        Assert.Equal("0/1 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}.", Placement.Place(plain, [node], []).Message);
        Assert.Equal("a", Placement.Place(byValue, [node], []).NodeName);
        Assert.False(Placement.Place(wrongValue, [node], []).Placed);
        Assert.Equal("a", Placement.Place(anyKey, [node], []).NodeName);
    }

    [Fact]
    public void PreferNoScheduleTaintDoesNotKeepPodsAway()
    {
        var node = TestObjects.Node("a");
        node.Spec.Taints = [new V1Taint { Key = "soft", Effect = "PreferNoSchedule" }];

        Assert.Equal("a", Placement.Place(TestObjects.Pod("p"), [node], []).NodeName);
    }

    [Theory]
    [InlineData("In", new[] { "gpu-h200-pool" }, true)]
    [InlineData("In", new[] { "other" }, false)]
    [InlineData("NotIn", new[] { "gpu-h200-pool" }, false)]
    [InlineData("NotIn", new[] { "other" }, true)]
    [InlineData("Exists", new string[0], true)]
    [InlineData("DoesNotExist", new string[0], false)]
    public void RequiredNodeAffinityExpressionsDecide(string op, string[] values, bool fits)
    {
        var node = TestObjects.Node("a", labels: new Dictionary<string, string> { ["runai/node-pool"] = "gpu-h200-pool" });
        var pod = TestObjects.Pod("p");
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "runai/node-pool", OperatorProperty = op, Values = values }] }],
                },
            },
        };

        Assert.Equal(fits, Placement.Place(pod, [node], []).Placed);
    }

    [Fact]
    public void NodeSelectorTermsAreAlternatives()
    {
        var node = TestObjects.Node("a", labels: new Dictionary<string, string> { ["zone"] = "b" });
        var pod = TestObjects.Pod("p");
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms =
                    [
                        new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["a"] }] },
                        new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["b"] }] },
                    ],
                },
            },
        };

        Assert.True(Placement.Place(pod, [node], []).Placed);
    }

    [Fact]
    public void UnknownSelectorOperatorIsAnErrorNamingIt()
    {
        var pod = TestObjects.Pod("p");
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "Near" }] }],
                },
            },
        };

        var e = Assert.Throws<ArgumentException>(() => Placement.Place(pod, [TestObjects.Node("a")], []));
        Assert.Contains("Near", e.Message);
    }

    private static V1Pod Worker(string name, string? node = null)
    {
        var pod = TestObjects.Pod(name, node: node, gpus: 2, labels: new Dictionary<string, string> { ["training.kubeflow.org/job-role"] = "worker" });
        pod.Spec.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PodAffinityTerm
                    {
                        TopologyKey = "kubernetes.io/hostname",
                        LabelSelector = new V1LabelSelector
                        {
                            MatchExpressions = [new V1LabelSelectorRequirement { Key = "training.kubeflow.org/job-role", OperatorProperty = "In", Values = ["worker"] }],
                        },
                    },
                ],
            },
        };
        return pod;
    }

    [Fact]
    public void RequiredAntiAffinitySpreadsWorkersOverNodes()
    {
        var nodes = new[] { TestObjects.Node("a"), TestObjects.Node("b") };
        var first = Worker("w0", node: "a");

        Assert.Equal("b", Placement.Place(Worker("w1"), nodes, [first]).NodeName);
        Assert.Equal("0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.",
            Placement.Place(Worker("w2"), nodes, [first, Worker("w1", node: "b")]).Message);
    }

    [Fact]
    public void ExistingPodsAntiAffinityKeepsMatchingNewcomersAway()
    {
        var existing = Worker("w0", node: "a");
        var newcomer = TestObjects.Pod("plain-worker", labels: new Dictionary<string, string> { ["training.kubeflow.org/job-role"] = "worker" });

        Assert.Equal("0/1 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules.",
            Placement.Place(newcomer, [TestObjects.Node("a")], [existing]).Message);
    }

    [Fact]
    public void AntiAffinityOnlyLooksAtTheTermsNamespaces()
    {
        var elsewhere = Worker("w0", node: "a");
        elsewhere.Metadata.NamespaceProperty = "other";

        Assert.Equal("a", Placement.Place(Worker("w1"), [TestObjects.Node("a")], [elsewhere]).NodeName);
    }

    [Fact]
    public void LabelSelectorMatchesLabelsAndExpressions()
    {
        var labels = new Dictionary<string, string> { ["app"] = "x", ["tier"] = "gpu" };

        Assert.True(Placement.LabelSelectorMatches(new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "x" } }, labels));
        Assert.False(Placement.LabelSelectorMatches(new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "y" } }, labels));
        Assert.True(Placement.LabelSelectorMatches(new V1LabelSelector(), labels));
        Assert.False(Placement.LabelSelectorMatches(null, labels));
        Assert.False(Placement.LabelSelectorMatches(new V1LabelSelector
        {
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "tier", OperatorProperty = "DoesNotExist" }],
        }, labels));
    }

    [Fact]
    public void GpuRequestGivenOnlyAsLimitCounts()
    {
        var pod = TestObjects.Pod("p", gpus: 5);

        Assert.Equal("0/1 nodes are available: 1 Insufficient nvidia.com/gpu.", Placement.Place(pod, [TestObjects.Node("a", gpus: 4)], []).Message);
    }

    [Fact]
    public void NoNodesAtAllIsSaidPlainly()
    {
        Assert.Equal("no nodes available to schedule pods", Placement.Place(TestObjects.Pod("p"), [], []).Message);
    }
}
