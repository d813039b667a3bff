using Runai.Sim.Api.Patching;

namespace Runai.Sim.Tests.Patching;

public class JsonMergePatchTests
{
    // RFC 7386 Appendix A, the cases whose target and result are objects (an object's patch must be one).
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void Rfc7386AppendixExamplesGiveTheirResults(string target, string patch, string expected) =>
        Json.Equal(expected, JsonMergePatch.Apply(Json.Obj(target), Json.Node(patch)));

    [Fact]
    public void ArraysAreCopiedVerbatimNullsIncluded() =>
        Json.Equal("""{"a":[null,{"x":null}]}""", JsonMergePatch.Apply(Json.Obj("""{"a":[1]}"""), Json.Node("""{"a":[null,{"x":null}]}""")));

    [Fact]
    public void ScalarTargetFieldIsReplacedByAnObjectPatch() =>
        Json.Equal("""{"a":{"b":1}}""", JsonMergePatch.Apply(Json.Obj("""{"a":"x"}"""), Json.Node("""{"a":{"b":1,"c":null}}""")));

    [Fact]
    public void TargetIsNotMutated()
    {
        var target = Json.Obj("""{"metadata":{"labels":{"app":"a"}},"spec":{"replicas":1}}""");
        var result = JsonMergePatch.Apply(target, Json.Node("""{"metadata":{"labels":{"app":null,"tier":"web"}},"spec":{"replicas":3}}"""));
        Json.Equal("""{"metadata":{"labels":{"app":"a"}},"spec":{"replicas":1}}""", target);
        Json.Equal("""{"metadata":{"labels":{"tier":"web"}},"spec":{"replicas":3}}""", result);
    }

    [Fact]
    public void DirectiveLookingKeysAreOrdinaryFields() =>
        Json.Equal("""{"a":{"$patch":"delete"}}""", JsonMergePatch.Apply(Json.Obj("""{}"""), Json.Node("""{"a":{"$patch":"delete"}}""")));

    [Theory]
    [InlineData("""["c"]""")]
    [InlineData("\"bar\"")]
    [InlineData("42")]
    public void PatchThatIsNotAnObjectIsABadRequest(string patch)
    {
        var error = Json.Fails(() => JsonMergePatch.Apply(Json.Obj("""{"a":"foo"}"""), Json.Node(patch)));
        Assert.Equal(400, error.Code);
        Assert.Equal("BadRequest", error.Reason);
        Assert.Contains("must be a JSON object", error.Message);
    }
}
