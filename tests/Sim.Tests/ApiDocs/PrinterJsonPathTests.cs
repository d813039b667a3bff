using System.Globalization;
using System.Text.Json.Nodes;
using Runai.Sim.Api.Tables;

namespace Runai.Sim.Tests.ApiDocs;

public sealed class PrinterJsonPathTests
{
    private static readonly JsonObject Doc = JsonNode.Parse("""
        {
          "metadata": {"name": "w", "labels": {"run.ai/project": "team-a"}, "creationTimestamp": "2025-06-01T11:00:00Z"},
          "spec": {"gpus": 2, "ratio": 0.5, "preemptible": true, "pods": ["a", "b", "c"]},
          "status": {"conditions": [
            {"type": "Scheduled", "status": "True"},
            {"type": "Ready", "status": "False", "reason": "Pending"}],
            "phase": null}
        }
        """)!.AsObject();

    private static string Text(string path) =>
        string.Join("|", PrinterJsonPath.Parse(path).Evaluate(Doc).Select(n => n?.ToJsonString() ?? "null"));

    [Theory]
    [InlineData(".metadata.name", "\"w\"")]
    [InlineData("{.metadata.name}", "\"w\"")]
    [InlineData("$.metadata.name", "\"w\"")]
    [InlineData(".metadata.labels['run.ai/project']", "\"team-a\"")]
    [InlineData(".metadata.labels[\"run.ai/project\"]", "\"team-a\"")]
    [InlineData(".spec.pods[0]", "\"a\"")]
    [InlineData(".spec.pods[-1]", "\"c\"")]
    [InlineData(".spec.pods[-1:]", "\"c\"")]
    [InlineData(".spec.pods[0:2]", "\"a\"|\"b\"")]
    [InlineData(".spec.pods[*]", "\"a\"|\"b\"|\"c\"")]
    [InlineData(".status.conditions[?(@.type==\"Ready\")].status", "\"False\"")]
    [InlineData(".status.conditions[?(@.type == 'Scheduled')].status", "\"True\"")]
    [InlineData(".status.conditions[?(@.type!=\"Ready\")].type", "\"Scheduled\"")]
    [InlineData(".status.conditions[?(@.reason)].type", "\"Ready\"")]
    [InlineData(".status.conditions[-1:].type", "\"Ready\"")]
    [InlineData(".spec.missing", "")]
    [InlineData(".spec.pods[7]", "")]
    [InlineData(".status.phase", "null")]
    public void PathsSelectWhatKubectlsJsonPathSelects(string path, string expected) =>
        Assert.Equal(expected, Text(path));

    [Theory]
    [InlineData("metadata.name", "unexpected 'm'")]
    [InlineData(".spec.pods[", "is not closed")]
    [InlineData(".spec.pods[x]", "neither an index")]
    [InlineData(".a[?(type==\"x\")]", "must start with '@'")]
    [InlineData("", "it is empty")]
    public void PathsOutsideTheSubsetAreRefusedNamingTheProblem(string path, string problem)
    {
        var e = Assert.Throws<FormatException>(() => PrinterJsonPath.Parse(path));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CellsAreTypedAsTheColumnSays()
    {
        var now = DateTimeOffset.Parse("2025-06-01T12:00:00Z", CultureInfo.InvariantCulture);
        JsonNode? Cell(string type, string path) => TableRenderer.CustomCell(type, PrinterJsonPath.Parse(path).Evaluate(Doc), now);

        Assert.Equal(2L, Cell("integer", ".spec.gpus")!.GetValue<long>());
        Assert.Equal(0.5, Cell("number", ".spec.ratio")!.GetValue<double>());
        Assert.True(Cell("boolean", ".spec.preemptible")!.GetValue<bool>());
        Assert.Equal("2", Cell("string", ".spec.gpus")!.GetValue<string>());
        Assert.Equal("true", Cell("string", ".spec.preemptible")!.GetValue<string>());
        Assert.Equal("60m", Cell("date", ".metadata.creationTimestamp")!.GetValue<string>());
        Assert.Equal("<invalid>", Cell("date", ".metadata.name")!.GetValue<string>());
        Assert.Null(Cell("integer", ".metadata.name"));
        Assert.Null(Cell("string", ".spec.missing"));
        Assert.Null(Cell("string", ".status.phase"));
    }
}
