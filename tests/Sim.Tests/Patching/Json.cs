using System.Text.Json.Nodes;
using Runai.Sim.Api;

namespace Runai.Sim.Tests.Patching;

/// <summary>Terse JSON for patch tests: documents written as text, compared structurally.</summary>
internal static class Json
{
    public static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    public static JsonNode Node(string json) => JsonNode.Parse(json)!;

    public static void Equal(string expected, JsonNode? actual)
    {
        var want = JsonNode.Parse(expected);
        Assert.True(JsonNode.DeepEquals(want, actual), $"expected {want?.ToJsonString()}\n  actual {actual?.ToJsonString()}");
    }

    /// <summary>Same JSON text once whitespace is normalised: member order counts.</summary>
    public static void SameText(string expected, JsonNode? actual) =>
        Assert.Equal(JsonNode.Parse(expected)!.ToJsonString(), actual?.ToJsonString());

    public static ApiException Fails(Action action) => Assert.Throws<ApiException>(action);
}
