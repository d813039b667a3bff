using Runai.Sim.Api.Patching;

namespace Runai.Sim.Tests.Patching;

public class JsonPatchTests
{
    // RFC 6902 Appendix A examples that succeed (A.1-A.8, A.10, A.11, A.14, A.16).
    [Theory]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"baz":"qux","foo":"bar"}""")]
    [InlineData("""{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""")]
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""")]
    [InlineData("""{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""")]
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""")]
    [InlineData("""{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""", """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""")]
    [InlineData("""{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""")]
    [InlineData("""{"baz":"qux","foo":["a",2,"c"]}""", """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]""", """{"baz":"qux","foo":["a",2,"c"]}""")]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/child","value":{"grandchild":{}}}]""", """{"foo":"bar","child":{"grandchild":{}}}""")]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux","xyz":123}]""", """{"foo":"bar","baz":"qux"}""")]
    [InlineData("""{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":10}]""", """{"/":9,"~1":10}""")]
    [InlineData("""{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":["abc","def"]}]""", """{"foo":["bar",["abc","def"]]}""")]
    public void Rfc6902AppendixExamplesGiveTheirResults(string target, string patch, string expected) =>
        Json.Equal(expected, JsonPatch.Apply(Json.Obj(target), Json.Node(patch)));

    // RFC 6902 Appendix A examples that fail (A.9, A.12, A.15): the document is not changed, 422 names the path.
    [Theory]
    [InlineData("""{"baz":"qux"}""", """[{"op":"test","path":"/baz","value":"bar"}]""", "/baz")]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz/bat","value":"qux"}]""", "/baz")]
    [InlineData("""{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":"10"}]""", "/~01")]
    public void Rfc6902AppendixFailuresAreInvalidAndNameThePath(string target, string patch, string path)
    {
        var error = Json.Fails(() => JsonPatch.Apply(Json.Obj(target), Json.Node(patch)));
        Assert.Equal(422, error.Code);
        Assert.Equal("Invalid", error.Reason);
        Assert.Contains($"\"{path}\"", error.Message);
    }

    [Fact]
    public void FailingOperationLeavesTargetAsItWas()
    {
        var target = Json.Obj("""{"spec":{"replicas":1},"metadata":{"labels":{"a":"1"}}}""");
        Json.Fails(() => JsonPatch.Apply(target, Json.Node("""
            [{"op":"replace","path":"/spec/replicas","value":5},
             {"op":"remove","path":"/metadata/labels/a"},
             {"op":"test","path":"/spec/replicas","value":1}]
            """)));
        Json.Equal("""{"spec":{"replicas":1},"metadata":{"labels":{"a":"1"}}}""", target);
    }

    [Fact]
    public void TestFailureMessageShowsExpectedAndFoundValues()
    {
        var error = Json.Fails(() => JsonPatch.Apply(Json.Obj("""{"spec":{"replicas":2}}"""), Json.Node("""[{"op":"test","path":"/spec/replicas","value":3}]""")));
        Assert.Equal("JSON patch operation 0 (test /spec/replicas) does not apply: test failed at \"/spec/replicas\": expected 3, found 2", error.Message);
    }

    [Fact]
    public void RemovingAMissingMemberIsInvalid()
    {
        var error = Json.Fails(() => JsonPatch.Apply(Json.Obj("""{"metadata":{}}"""), Json.Node("""[{"op":"remove","path":"/metadata/labels"}]""")));
        Assert.Equal(422, error.Code);
        Assert.Contains("doc is missing path: \"/metadata/labels\"", error.Message);
    }

    [Fact]
    public void ReplacingAMissingMemberIsInvalid() =>
        Assert.Equal(422, Json.Fails(() => JsonPatch.Apply(Json.Obj("""{}"""), Json.Node("""[{"op":"replace","path":"/a","value":1}]"""))).Code);

    [Fact]
    public void EscapedSlashAddressesAnnotationKeys() =>
        Json.Equal("""{"metadata":{"annotations":{"run.ai/queue":"q","a~b":"t"}}}""",
            JsonPatch.Apply(Json.Obj("""{"metadata":{"annotations":{}}}"""), Json.Node("""
                [{"op":"add","path":"/metadata/annotations/run.ai~1queue","value":"q"},
                 {"op":"add","path":"/metadata/annotations/a~0b","value":"t"}]
                """)));

    [Fact]
    public void CopyDuplicatesAValueIndependently()
    {
        var result = JsonPatch.Apply(Json.Obj("""{"a":{"x":[1]}}"""), Json.Node("""
            [{"op":"copy","from":"/a","path":"/b"},{"op":"add","path":"/b/x/-","value":2}]
            """));
        Json.Equal("""{"a":{"x":[1]},"b":{"x":[1,2]}}""", result);
    }

    [Fact]
    public void ReplaceKeepsMemberOrder() =>
        Assert.Equal("""{"a":1,"b":9,"c":3}""", JsonPatch.Apply(Json.Obj("""{"a":1,"b":2,"c":3}"""), Json.Node("""[{"op":"replace","path":"/b","value":9}]""")).ToJsonString());

    [Fact]
    public void AddReplacesAnExistingMember() =>
        Json.Equal("""{"a":2}""", JsonPatch.Apply(Json.Obj("""{"a":1}"""), Json.Node("""[{"op":"add","path":"/a","value":2}]""")));

    [Fact]
    public void AddAtTheArrayLengthAppends() =>
        Json.Equal("""{"a":[1,2]}""", JsonPatch.Apply(Json.Obj("""{"a":[1]}"""), Json.Node("""[{"op":"add","path":"/a/1","value":2}]""")));

    [Fact]
    public void MovingToItselfChangesNothing() =>
        Json.Equal("""{"a":1}""", JsonPatch.Apply(Json.Obj("""{"a":1}"""), Json.Node("""[{"op":"move","from":"/a","path":"/a"}]""")));

    [Fact]
    public void TestComparesNumbersByValueAndObjectsRegardlessOfMemberOrder() =>
        Json.Equal("""{"a":1,"b":{"x":1,"y":2}}""", JsonPatch.Apply(Json.Obj("""{"a":1,"b":{"x":1,"y":2}}"""), Json.Node("""
            [{"op":"test","path":"/a","value":1.0},{"op":"test","path":"/b","value":{"y":2,"x":1}}]
            """)));

    [Fact]
    public void ReplacingTheRootWithAnObjectReplacesTheDocument() =>
        Json.Equal("""{"z":1}""", JsonPatch.Apply(Json.Obj("""{"a":1}"""), Json.Node("""[{"op":"replace","path":"","value":{"z":1}}]""")));

    [Theory]
    [InlineData("""[{"op":"add","path":"/a/01","value":0}]""", "invalid array index \"01\"")]
    [InlineData("""[{"op":"add","path":"/a/5","value":0}]""", "invalid array index \"5\"")]
    [InlineData("""[{"op":"remove","path":"/a/2"}]""", "doc is missing path: \"/a/2\"")]
    [InlineData("""[{"op":"remove","path":"/a/-"}]""", "doc is missing path: \"/a/-\"")]
    [InlineData("""[{"op":"move","from":"/o","path":"/o/inner"}]""", "into its own child")]
    [InlineData("""[{"op":"remove","path":""}]""", "cannot remove the whole document")]
    [InlineData("""[{"op":"replace","path":"","value":[1]}]""", "must be a JSON object")]
    [InlineData("""[{"op":"add","path":"/s/x","value":1}]""", "its parent is a string")]
    public void OperationsThatDoNotFitTheDocumentAreInvalid(string patch, string problem)
    {
        var error = Json.Fails(() => JsonPatch.Apply(Json.Obj("""{"a":[1,2],"o":{},"s":"text"}"""), Json.Node(patch)));
        Assert.Equal(422, error.Code);
        Assert.Contains(problem, error.Message);
    }

    [Theory]
    [InlineData("""{"op":"add","path":"/a","value":1}""", "must be a JSON array")]
    [InlineData("""[{"op":"frobnicate","path":"/a"}]""", "unknown op \"frobnicate\"")]
    [InlineData("""[{"path":"/a","value":1}]""", "needs a string \"op\"")]
    [InlineData("""[{"op":"add","value":1}]""", "needs a string \"path\"")]
    [InlineData("""[{"op":"add","path":"/a"}]""", "missing \"value\"")]
    [InlineData("""[{"op":"copy","path":"/a"}]""", "needs a string \"from\"")]
    [InlineData("""[{"op":"add","path":"a","value":1}]""", "invalid JSON pointer \"a\"")]
    [InlineData("""[{"op":"add","path":"/a~2","value":1}]""", "'~' must be followed by '0' or '1'")]
    [InlineData("""["add"]""", "operation 0 must be a JSON object")]
    public void MalformedPatchDocumentsAreBadRequests(string patch, string problem)
    {
        var error = Json.Fails(() => JsonPatch.Apply(Json.Obj("""{"a":[1]}"""), Json.Node(patch)));
        Assert.Equal(400, error.Code);
        Assert.Equal("BadRequest", error.Reason);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void MalformedLaterOperationFailsBeforeEarlierOnesRun()
    {
        // A 400 for the document as a whole, not a 422 from the first operation's missing path.
        var error = Json.Fails(() => JsonPatch.Apply(Json.Obj("""{}"""), Json.Node("""[{"op":"remove","path":"/missing"},{"op":"nope","path":"/a"}]""")));
        Assert.Equal(400, error.Code);
    }
}
