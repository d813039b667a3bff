using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Api.Storage;

namespace Runai.Sim.Tests.Storage;

public sealed class SelectorTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["app"] = "web", ["tier"] = "front", ["training.kubeflow.org/job-role"] = "worker" };

    [Theory]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app!=web", false)]
    [InlineData("app=db", false)]
    [InlineData("app in (db, web)", true)]
    [InlineData("app notin (web)", false)]
    [InlineData("tier", true)]
    [InlineData("!tier", false)]
    [InlineData("!missing", true)]
    [InlineData("app=web,tier=front", true)]
    [InlineData("app=web,tier=back", false)]
    [InlineData("training.kubeflow.org/job-role=worker", true)]
    [InlineData("", true)]
    public void LabelSelectorsMatchAsTheApiServerDoes(string selector, bool expected) =>
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Labels));

    [Theory]
    [InlineData("app in web")]
    [InlineData("=web")]
    [InlineData("bad key=web")]
    [InlineData("app=web,,tier=front")]
    public void MalformedLabelSelectorsAreBadRequests(string selector)
    {
        var e = Assert.Throws<ApiException>(() => LabelSelector.Parse(selector).Matches(Labels));
        Assert.Equal(400, e.Code);
    }

    [Fact]
    public void FieldSelectorsReadIndexedAndArbitraryFields()
    {
        var pod = StoredObject.From("pods", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "p", ["namespace"] = "ns", ["uid"] = "u" },
            ["spec"] = new JsonObject { ["nodeName"] = "n1", ["priority"] = 5 },
            ["status"] = new JsonObject { ["phase"] = "Running" },
        }, 7);

        Assert.True(FieldSelector.Parse("spec.nodeName=n1,status.phase=Running").Matches(pod));
        Assert.False(FieldSelector.Parse("spec.nodeName!=n1").Matches(pod));
        Assert.True(FieldSelector.Parse("metadata.namespace==ns").Matches(pod));
        Assert.True(FieldSelector.Parse("spec.priority=5").Matches(pod));
        Assert.Equal("p", FieldSelector.Parse("metadata.name=p").PinnedName);
        Assert.Equal(400, Assert.Throws<ApiException>(() => FieldSelector.Parse("spec.nodeName")).Code);
    }
}
