using System.Text.Json;
using System.Text.Json.Nodes;
using Runai.Core.Yaml;

namespace Runai.Core.Tests;

public sealed class KubeYamlTests
{
    private static JsonNode? ValueOf(string yamlScalar) => KubeYaml.ReadObject($"v: {yamlScalar}\n")["v"];

    [Theory]
    [InlineData("4", "4")]
    [InlineData("-4", "-4")]
    [InlineData("+5", "5")]
    [InlineData("007", "7")]
    [InlineData("0o17", "15")]
    [InlineData("0x1F", "31")]
    [InlineData("0.5", "0.5")]
    [InlineData(".5", "0.5")]
    [InlineData("1.", "1")]
    [InlineData("1e3", "1e3")]
    [InlineData("-2.5E-3", "-2.5E-3")]
    [InlineData("12345678901234567890123", "12345678901234567890123")]
    public void PlainNumbersBecomeJsonNumbers(string yaml, string json)
    {
        var value = ValueOf(yaml);
        Assert.Equal(JsonValueKind.Number, value!.GetValueKind());
        Assert.Equal(json, value.ToJsonString());
    }

    [Theory]
    [InlineData("\"4\"", "4")]
    [InlineData("'4'", "4")]
    [InlineData("\"true\"", "true")]
    [InlineData("'null'", "null")]
    [InlineData("\"\"", "")]
    [InlineData("!!str 4", "4")]
    [InlineData("yes", "yes")]
    [InlineData("off", "off")]
    [InlineData("1.2.3", "1.2.3")]
    [InlineData("0x", "0x")]
    [InlineData("gpu-worker-01, gpu-worker-02", "gpu-worker-01, gpu-worker-02")]
    [InlineData("|\n  line one\n  line two", "line one\nline two\n")]
    public void QuotedTaggedAndNonNumericScalarsStayStrings(string yaml, string expected)
    {
        var value = ValueOf(yaml);
        Assert.Equal(JsonValueKind.String, value!.GetValueKind());
        Assert.Equal(expected, value.GetValue<string>());
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("FALSE", false)]
    [InlineData("!!bool true", true)]
    public void BooleansAreRecognised(string yaml, bool expected)
    {
        Assert.Equal(expected, ValueOf(yaml)!.GetValue<bool>());
    }

    [Theory]
    [InlineData("null")]
    [InlineData("Null")]
    [InlineData("~")]
    [InlineData("")]
    [InlineData("!!null ''")]
    public void NullFormsBecomeJsonNull(string yaml)
    {
        var obj = KubeYaml.ReadObject($"v: {yaml}\n");
        Assert.True(obj.ContainsKey("v"));
        Assert.Null(obj["v"]);
    }

    [Fact]
    public void ExplicitIntTagTurnsQuotedDigitsIntoANumber()
    {
        Assert.Equal(4, ValueOf("!!int \"4\"")!.GetValue<int>());
        Assert.Equal(2.5, ValueOf("!!float '2.5'")!.GetValue<double>());
    }

    [Fact]
    public void NumbersReadAsAnyNumericType()
    {
        var value = ValueOf("4")!;
        Assert.Equal(4, value.GetValue<int>());
        Assert.Equal(4L, value.GetValue<long>());
        Assert.Equal(4.0, value.GetValue<double>());
        Assert.Equal(0.5m, ValueOf("0.5")!.GetValue<decimal>());
    }

    [Theory]
    [InlineData(".inf", "not a finite number")]
    [InlineData("-.Inf", "not a finite number")]
    [InlineData(".nan", "not a finite number")]
    [InlineData("1e999", "too large")]
    [InlineData("!!int abc", "tagged !!int but is not an integer")]
    [InlineData("!!bool maybe", "tagged !!bool but is not true or false")]
    [InlineData("!!null x", "tagged !!null")]
    [InlineData("!!float x", "tagged !!float")]
    [InlineData("!custom x", "unsupported tag '!custom'")]
    public void ScalarsJsonCannotHoldFailWithTheirPosition(string yaml, string problem)
    {
        var error = Assert.Throws<KubeYamlException>(() => KubeYaml.ReadObjects($"a: 1\nv: {yaml}\n", "scalars.yaml"));
        Assert.Contains(problem, error.Problem);
        Assert.Equal(2, error.Line);
        Assert.Equal(4, error.Column);
        Assert.StartsWith("scalars.yaml: line 2, column 4: ", error.Message);
    }

    [Fact]
    public void MultipleDocumentsAreReadInOrderSkippingEmptyOnes()
    {
        const string yaml = """
            # leading comment
            apiVersion: v1
            kind: Namespace
            metadata:
              name: my-project
            ---
            # only a comment
            ---
            apiVersion: run.ai/v2alpha1
            kind: Project
            metadata:
              name: my-project
            spec:
              gpus: {quota: 8, limit: 16}
            ...
            """;
        var objects = KubeYaml.ReadObjects(yaml);
        Assert.Equal(["Namespace", "Project"], objects.Select(o => o["kind"]!.GetValue<string>()));
        Assert.Equal(16, objects[1]["spec"]!["gpus"]!["limit"]!.GetValue<int>());
    }

    [Fact]
    public void EmptyInputHoldsNoObjects()
    {
        Assert.Empty(KubeYaml.ReadObjects(""));
        Assert.Empty(KubeYaml.ReadObjects("# nothing here\n"));
        Assert.Empty(KubeYaml.ReadObjects("---\n---\n"));
    }

    [Fact]
    public void ReadObjectInsistsOnExactlyOne()
    {
        var error = Assert.Throws<KubeYamlException>(() => KubeYaml.ReadObject("a: 1\n---\nb: 2\n"));
        Assert.Contains("expected exactly one object, found 2", error.Message);
    }

    [Fact]
    public void AnchorsAliasesAndMergeKeysResolve()
    {
        const string yaml = """
            defaults: &defaults
              image: pytorch
              gpus: 1
            job:
              <<: *defaults
              gpus: 2
            copy: *defaults
            """;
        var obj = KubeYaml.ReadObject(yaml);
        Assert.Equal("pytorch", obj["job"]!["image"]!.GetValue<string>());
        Assert.Equal(2, obj["job"]!["gpus"]!.GetValue<int>()); // the mapping's own key wins over the merged one
        Assert.True(JsonNode.DeepEquals(obj["defaults"], obj["copy"]));
        Assert.False(obj.ContainsKey("<<"));
    }

    [Fact]
    public void MergeKeyTakesAListOfMappings()
    {
        var obj = KubeYaml.ReadObject("a: &a {x: 1}\nb: &b {x: 2, y: 3}\nc:\n  <<: [*a, *b]\n");
        Assert.Equal(1, obj["c"]!["x"]!.GetValue<int>());
        Assert.Equal(3, obj["c"]!["y"]!.GetValue<int>());
    }

    [Fact]
    public void QuotedMergeKeyIsAnOrdinaryKey()
    {
        Assert.Equal(1, KubeYaml.ReadObject("\"<<\": 1\n")["<<"]!.GetValue<int>());
    }

    [Fact]
    public void UnknownAliasIsReported()
    {
        var error = Assert.Throws<KubeYamlException>(() => KubeYaml.ReadObject("a: 1\nb: *nowhere\n"));
        Assert.Contains("alias *nowhere refers to no anchor", error.Problem);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void DuplicateKeysAreReportedWhereTheSecondOneIs()
    {
        var error = Assert.Throws<KubeYamlException>(() => KubeYaml.ReadObject("spec:\n  gpus: 1\n  gpus: 2\n", "job.yaml"));
        Assert.Equal("duplicate key 'gpus'", error.Problem);
        Assert.Equal((3L, 3L), (error.Line, error.Column));
        Assert.Equal("job.yaml", error.SourceName);
    }

    [Fact]
    public void MalformedYamlNamesLineAndColumn()
    {
        var error = Assert.Throws<KubeYamlException>(() => KubeYaml.ReadObjects("metadata:\n  name: a\n  labels: [unclosed\nspec: {}\n", "bad.yaml"));
        Assert.True(error.Line >= 3, $"line {error.Line}");
        Assert.StartsWith($"bad.yaml: line {error.Line}, column {error.Column}: ", error.Message);
        Assert.DoesNotContain("Idx:", error.Message);
        Assert.Contains("unclosed [", error.Problem);
        Assert.NotNull(error.InnerException);
    }

    [Fact]
    public void BadIndentationIsReported()
    {
        var error = Assert.Throws<KubeYamlException>(() => KubeYaml.ReadObjects("a:\n  b: 1\n c: 2\n"));
        Assert.Equal(3, error.Line);
        Assert.StartsWith("YAML: line 3", error.Message);
        Assert.StartsWith("while parsing a block mapping, did not find expected key", error.Problem);
    }

    [Fact]
    public void ComplexKeysAreRejected()
    {
        var error = Assert.Throws<KubeYamlException>(() => KubeYaml.ReadObject("? [a, b]\n: 1\n"));
        Assert.Contains("mapping keys must be scalars", error.Problem);
    }

    [Theory]
    [InlineData("- a\n- b\n", "document 1 is a sequence")]
    [InlineData("just text\n", "document 1 is a scalar (\"just text\")")]
    [InlineData("a: 1\n--- 42\n", "document 2 is a scalar (42)")]
    public void DocumentsThatAreNotObjectsAreRejected(string yaml, string problem)
    {
        var error = Assert.Throws<KubeYamlException>(() => KubeYaml.ReadObjects(yaml));
        Assert.Contains(problem, error.Problem);
        Assert.Contains("a Kubernetes object must be a mapping", error.Problem);
    }

    [Fact]
    public void ReadDocumentsKeepsAnyValue()
    {
        var documents = KubeYaml.ReadDocuments("- 1\n---\n---\nx\n");
        Assert.Equal(3, documents.Count);
        Assert.IsType<JsonArray>(documents[0]);
        Assert.Null(documents[1]);
        Assert.Equal("x", documents[2]!.GetValue<string>());
    }

    [Fact]
    public void ReadingAFileNamesItInErrors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubeyaml-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "a: [\n");
        try
        {
            var error = Assert.Throws<KubeYamlException>(() => KubeYaml.ReadObjectsFromFile(path));
            Assert.StartsWith(path + ": line ", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void StringsThatLookLikeOtherTypesAreQuotedWhenWritten()
    {
        var yaml = KubeYaml.Write(new JsonObject { ["count"] = "4", ["number"] = 4, ["flag"] = "true", ["yes"] = "yes", ["empty"] = "" });
        Assert.Contains("count: \"4\"", yaml);
        Assert.Contains("number: 4\n", yaml);
        Assert.Contains("flag: \"true\"", yaml);
        Assert.Contains("\"yes\": \"yes\"", yaml); // YAML 1.1 readers such as kubectl would read yes as a boolean, key or value
        Assert.Contains("empty: \"\"", yaml);
    }

    [Fact]
    public void WrittenYamlReadsBackToTheSameJson()
    {
        var original = JsonNode.Parse("""
            {
              "apiVersion": "run.ai/v2alpha1",
              "kind": "TrainingWorkload",
              "metadata": {"name": "t", "annotations": {"runai-current-allocated-gpus": "4", "runai-used-nodes": "gpu-worker-01, gpu-worker-02"}, "labels": {}},
              "spec": {"gpus": 0.5, "workers": 2, "suspend": false, "command": ["sh", "-c", "echo: hi # not a comment"], "args": [],
                       "env": [{"name": "A", "value": "null"}, {"name": "B", "value": "~"}, {"name": "C", "value": "<<"}, {"name": "D", "value": " padded "}],
                       "script": "line one\nline two\n", "trailing": "ends with space \nx", "nothing": null, "big": 12345678901234567890, "tiny": 1.5e-7,
                       "special": "#hash", "colon": "a: b", "dash": "- item", "quote": "it's \"quoted\"", "unicode": "Grüße ✓", "tab": "a\tb"}
            }
            """)!.AsObject();
        var yaml = KubeYaml.Write(original);
        var read = KubeYaml.ReadObject(yaml);
        Assert.True(JsonNode.DeepEquals(original, read), $"YAML was:\n{yaml}\nread back as:\n{read.ToJsonString()}");
    }

    [Fact]
    public void SeveralDocumentsAreWrittenWithSeparators()
    {
        var yaml = KubeYaml.WriteAll([new JsonObject { ["a"] = 1 }, new JsonObject { ["b"] = 2 }]);
        var objects = KubeYaml.ReadObjects(yaml);
        Assert.Equal(2, objects.Count);
        Assert.Equal(2, yaml.Split("---").Length - 1);
    }

    [Fact]
    public void ScalarDocumentsAndNullAreWritten()
    {
        Assert.Equal("5", KubeYaml.ReadDocuments(KubeYaml.Write(JsonValue.Create(5)))[0]!.ToJsonString());
        Assert.Null(KubeYaml.ReadDocuments(KubeYaml.Write(null))[0]);
    }
}
