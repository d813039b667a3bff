using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Api.Validation;

namespace Runai.Sim.Tests.ApiDocs;

public sealed class SchemaValidatorTests
{
    private static JsonObject Schema(string specProperties, string specRequired = "[]") => JsonNode.Parse($$"""
        {
          "type": "object",
          "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {"type": "object", "required": {{specRequired}}, "properties": {{specProperties}}}
          }
        }
        """)!.AsObject();

    private static JsonObject Obj(string spec) => JsonNode.Parse($$"""
        {"apiVersion": "run.ai/v2alpha1", "kind": "Project", "metadata": {"name": "team-a"}, "spec": {{spec}}}
        """)!.AsObject();

    private static FieldError SingleError(string specProperties, string spec, string specRequired = "[]")
    {
        var result = SchemaValidator.Validate(Obj(spec), Schema(specProperties, specRequired), FieldValidation.Strict);
        Assert.False(result.IsValid);
        return Assert.Single(result.Errors);
    }

    private static void Valid(string specProperties, string spec)
    {
        var result = SchemaValidator.Validate(Obj(spec), Schema(specProperties), FieldValidation.Strict);
        Assert.True(result.IsValid, string.Join("; ", result.Errors) + string.Join("; ", result.UnknownFields));
    }

    [Fact]
    public void AValueOfTheWrongTypeIsATypeError()
    {
        var e = SingleError("""{"gpus": {"type": "object", "properties": {"quota": {"type": "integer"}}}}""", """{"gpus": {"quota": "lots"}}""");
        Assert.Equal("FieldValueTypeInvalid", e.Reason);
        Assert.Equal("spec.gpus.quota", e.Field);
        Assert.Equal("spec.gpus.quota: Invalid value: \"string\": spec.gpus.quota in body must be of type integer: \"string\"", e.ToString());
    }

    [Theory]
    [InlineData("string", "\"x\"")]
    [InlineData("integer", "3")]
    [InlineData("integer", "3.0")]
    [InlineData("number", "3")]
    [InlineData("number", "3.5")]
    [InlineData("boolean", "false")]
    [InlineData("array", "[]")]
    [InlineData("object", "{}")]
    public void EachTypeAcceptsItsValues(string type, string value) =>
        Valid($$$"""{"v": {"type": "{{{type}}}"}}""", $$$"""{"v": {{{value}}}}""");

    [Theory]
    [InlineData("string", "3", "integer")]
    [InlineData("integer", "3.5", "number")]
    [InlineData("number", "\"3\"", "string")]
    [InlineData("boolean", "\"true\"", "string")]
    [InlineData("array", "{}", "object")]
    [InlineData("object", "[]", "array")]
    public void EachTypeRefusesOthers(string type, string value, string actual) =>
        Assert.Equal($"Invalid value: \"{actual}\": spec.v in body must be of type {type}: \"{actual}\"",
            SingleError($$$"""{"v": {"type": "{{{type}}}"}}""", $$$"""{"v": {{{value}}}}""").Body);

    [Fact]
    public void AMissingRequiredFieldIsReported()
    {
        var e = SingleError("""{"gpus": {"type": "integer"}}""", "{}", specRequired: """["gpus"]""");
        Assert.Equal("FieldValueRequired", e.Reason);
        Assert.Equal("spec.gpus: Required value", e.ToString());
    }

    [Fact]
    public void AValueOutsideTheEnumIsNotSupported()
    {
        var e = SingleError("""{"tier": {"type": "string", "enum": ["gold", "silver"]}}""", """{"tier": "bronze"}""");
        Assert.Equal("FieldValueNotSupported", e.Reason);
        Assert.Equal("spec.tier: Unsupported value: \"bronze\": supported values: \"gold\", \"silver\"", e.ToString());
        Valid("""{"tier": {"type": "string", "enum": ["gold", "silver"]}}""", """{"tier": "gold"}""");
        Assert.Equal("Unsupported value: 3: supported values: \"1\", \"2\"",
            SingleError("""{"n": {"type": "integer", "enum": [1, 2]}}""", """{"n": 3}""").Body);
    }

    [Fact]
    public void NumbersAreCheckedAgainstTheirBounds()
    {
        const string Props = """{"n": {"type": "integer", "minimum": 1, "maximum": 1000000}}""";
        Assert.Equal("spec.n: Invalid value: 0: spec.n in body should be greater than or equal to 1", SingleError(Props, """{"n": 0}""").ToString());
        Assert.Equal("spec.n: Invalid value: 1000001: spec.n in body should be less than or equal to 1e+06", SingleError(Props, """{"n": 1000001}""").ToString());
        Valid(Props, """{"n": 1}""");
        Valid(Props, """{"n": 1000000}""");
        const string Exclusive = """{"r": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1.5, "exclusiveMaximum": true}}""";
        Assert.Equal("Invalid value: 0: spec.r in body should be greater than 0", SingleError(Exclusive, """{"r": 0}""").Body);
        Assert.Equal("Invalid value: 1.5: spec.r in body should be less than 1.5", SingleError(Exclusive, """{"r": 1.5}""").Body);
        Valid(Exclusive, """{"r": 0.5}""");
    }

    [Fact]
    public void IntegerFormatsBoundTheirValues()
    {
        Assert.Equal("Invalid value: 2147483648: spec.n in body should be less than or equal to 2147483647",
            SingleError("""{"n": {"type": "integer", "format": "int32"}}""", """{"n": 2147483648}""").Body);
        Assert.Equal("Invalid value: -2147483649: spec.n in body should be greater than or equal to -2147483648",
            SingleError("""{"n": {"type": "integer", "format": "int32"}}""", """{"n": -2147483649}""").Body);
        Valid("""{"n": {"type": "integer", "format": "int64"}}""", """{"n": 2147483648}""");
    }

    [Fact]
    public void StringsAreCheckedForLengthAndPattern()
    {
        const string Props = """{"s": {"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"}}""";
        var tooLong = SingleError(Props, """{"s": "abcde"}""");
        Assert.Equal("FieldValueTooLong", tooLong.Reason);
        Assert.Equal("spec.s: Too long: may not be more than 4 bytes", tooLong.ToString());
        Assert.Equal("spec.s: Invalid value: \"a\": spec.s in body should be at least 2 chars long", SingleError(Props, """{"s": "a"}""").ToString());
        Assert.Equal("spec.s: Invalid value: \"AB\": spec.s in body should match '^[a-z]+$'", SingleError(Props, """{"s": "AB"}""").ToString());
        Valid(Props, """{"s": "abcd"}""");
        Valid("""{"s": {"type": "string", "maxLength": 2}}""", """{"s": "é😀"}""");
    }

    [Fact]
    public void ArraysAreCheckedForItemCountsAndEachItem()
    {
        const string Props = """{"l": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}}}""";
        var tooMany = SingleError(Props, """{"l": ["a", "b", "c"]}""");
        Assert.Equal("FieldValueTooMany", tooMany.Reason);
        Assert.Equal("spec.l: Too many: 3: must have at most 2 items", tooMany.ToString());
        Assert.Equal("spec.l in body should have at least 1 items", SingleError(Props, """{"l": []}""").Body.Split(": ")[^1]);
        Assert.Equal("spec.l[1]", SingleError(Props, """{"l": ["a", 2]}""").Field);
        Valid(Props, """{"l": ["a", "b"]}""");
    }

    [Fact]
    public void IntOrStringAcceptsEitherAndNothingElse()
    {
        const string Props = """{"q": {"x-kubernetes-int-or-string": true}}""";
        Valid(Props, """{"q": 3}""");
        Valid(Props, """{"q": "50%"}""");
        Assert.Equal("Invalid value: \"boolean\": spec.q in body must be of type integer,string: \"boolean\"", SingleError(Props, """{"q": true}""").Body);
    }

    [Fact]
    public void NullIsKeptWhereNullableAndPrunedElsewhere()
    {
        var schema = Schema("""{"a": {"type": "string", "nullable": true}, "b": {"type": "string"}}""");
        var obj = Obj("""{"a": null, "b": null}""");
        var result = SchemaValidator.Validate(obj, schema, FieldValidation.Strict);
        Assert.True(result.IsValid);
        Assert.True(obj["spec"]!.AsObject().ContainsKey("a"));
        Assert.False(obj["spec"]!.AsObject().ContainsKey("b"));
        Assert.Equal("Invalid value: \"null\": spec.l[0] in body must be of type string: \"null\"",
            SingleError("""{"l": {"type": "array", "items": {"type": "string"}}}""", """{"l": [null]}""").Body);
    }

    [Fact]
    public void AdditionalPropertiesValidateEveryEntryOfAMap()
    {
        const string Props = """{"quotas": {"type": "object", "additionalProperties": {"type": "integer"}}}""";
        Valid(Props, """{"quotas": {"a100": 4, "h100": 8}}""");
        Assert.Equal("spec.quotas.h100", SingleError(Props, """{"quotas": {"a100": 4, "h100": "eight"}}""").Field);
        Valid("""{"free": {"type": "object", "additionalProperties": true}}""", """{"free": {"anything": [1, {"x": 2}]}}""");
    }

    [Fact]
    public void PreservedUnknownFieldsAreKeptWhileDeclaredOnesAreStillChecked()
    {
        var schema = Schema("""{"config": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"replicas": {"type": "integer"}}}}""");
        var obj = Obj("""{"config": {"whatever": {"deep": true}, "replicas": 2}}""");
        Assert.True(SchemaValidator.Validate(obj, schema, FieldValidation.Strict).IsValid);
        Assert.Equal(true, (bool?)obj["spec"]!["config"]!["whatever"]!["deep"]);
        var bad = SchemaValidator.Validate(Obj("""{"config": {"replicas": "two"}}"""), schema, FieldValidation.Strict);
        Assert.Equal("spec.config.replicas", Assert.Single(bad.Errors).Field);
    }

    [Fact]
    public void UnknownFieldsUnderStrictFailTheRequestWithBadRequest()
    {
        var obj = Obj("""{"gpus": 1, "foo": 1, "bar": {"x": 1}}""");
        var result = SchemaValidator.Validate(obj, Schema("""{"gpus": {"type": "integer"}}"""), FieldValidation.Strict);
        Assert.False(result.IsValid);
        Assert.Equal(["spec.bar", "spec.foo"], result.UnknownFields);
        Assert.Empty(result.Warnings);
        var e = SchemaValidator.ToException(result, "Project", "team-a");
        Assert.Equal(400, e.Code);
        Assert.Equal("BadRequest", e.Reason);
        Assert.Equal("strict decoding error: unknown field \"spec.bar\", unknown field \"spec.foo\"", e.Message);
    }

    [Fact]
    public void UnknownFieldsUnderWarnArePrunedAndWarnedAbout()
    {
        var obj = Obj("""{"gpus": 1, "foo": 1}""");
        var result = SchemaValidator.Validate(obj, Schema("""{"gpus": {"type": "integer"}}"""), FieldValidation.Warn);
        Assert.True(result.IsValid);
        Assert.Equal(["unknown field \"spec.foo\""], result.Warnings);
        Assert.False(obj["spec"]!.AsObject().ContainsKey("foo"));
    }

    [Fact]
    public void UnknownFieldsUnderIgnoreAreSilentlyPruned()
    {
        var obj = Obj("""{"gpus": 1, "foo": 1}""");
        var result = SchemaValidator.Validate(obj, Schema("""{"gpus": {"type": "integer"}}"""), FieldValidation.Ignore);
        Assert.True(result.IsValid);
        Assert.Empty(result.Warnings);
        Assert.Equal(["spec.foo"], result.UnknownFields);
        Assert.False(obj["spec"]!.AsObject().ContainsKey("foo"));
        Assert.Equal(1, (int?)obj["spec"]!["gpus"]);
    }

    [Fact]
    public void UnknownFieldsInArrayItemsAndMetadataAreNamedByPath()
    {
        var schema = Schema("""{"pods": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}}""");
        var obj = Obj("""{"pods": [{"name": "a"}, {"name": "b", "colour": "red"}]}""");
        obj["metadata"]!["colour"] = "blue";
        obj["status"] = new JsonObject();
        var result = SchemaValidator.Validate(obj, schema, FieldValidation.Strict);
        Assert.Equal(["metadata.colour", "spec.pods[1].colour", "status"], result.UnknownFields);
        Assert.Equal("team-a", (string?)obj["metadata"]!["name"]);
        Assert.Equal("run.ai/v2alpha1", (string?)obj["apiVersion"]);
    }

    [Fact]
    public void InvalidFieldsBecomeA422WithOneCausePerField()
    {
        var result = SchemaValidator.Validate(Obj("""{"gpus": "x", "tier": "bronze"}"""),
            Schema("""{"gpus": {"type": "integer"}, "tier": {"type": "string", "enum": ["gold"]}, "owner": {"type": "string"}}""", """["owner"]"""),
            FieldValidation.Warn);
        var e = SchemaValidator.ToException(result, "Project", "team-a");
        Assert.Equal(422, e.Code);
        Assert.Equal("Invalid", e.Reason);
        Assert.Equal("Project.run.ai \"team-a\" is invalid: [spec.owner: Required value, " +
            "spec.gpus: Invalid value: \"string\": spec.gpus in body must be of type integer: \"string\", " +
            "spec.tier: Unsupported value: \"bronze\": supported values: \"gold\"]", e.Message);
        Assert.Equal("team-a", (string?)e.Details!["name"]);
        Assert.Equal("run.ai", (string?)e.Details["group"]);
        Assert.Equal("Project", (string?)e.Details["kind"]);
        var causes = e.Details["causes"]!.AsArray();
        Assert.Equal(["FieldValueRequired", "FieldValueTypeInvalid", "FieldValueNotSupported"], causes.Select(c => (string)c!["reason"]!));
        Assert.Equal(["spec.owner", "spec.gpus", "spec.tier"], causes.Select(c => (string)c!["field"]!));
        Assert.Equal("Required value", (string?)causes[0]!["message"]);
        var status = e.ToStatus();
        Assert.Equal(422, (int?)status["code"]);
    }

    [Fact]
    public void ASingleInvalidFieldIsNotBracketedAndCoreKindsAreNotQualified()
    {
        var obj = JsonNode.Parse("""{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"n": "x"}}""")!.AsObject();
        var result = SchemaValidator.Validate(obj, Schema("""{"n": {"type": "integer"}}"""), FieldValidation.Strict);
        var e = SchemaValidator.ToException(result, "Pod", "p");
        Assert.Equal("Pod \"p\" is invalid: spec.n: Invalid value: \"string\": spec.n in body must be of type integer: \"string\"", e.Message);
        Assert.False(e.Details!.ContainsKey("group"));
    }

    [Fact]
    public void StrictUnknownFieldsWinOverInvalidValuesAsDecodingComesFirst()
    {
        var result = SchemaValidator.Validate(Obj("""{"gpus": "x", "foo": 1}"""), Schema("""{"gpus": {"type": "integer"}}"""), FieldValidation.Strict);
        Assert.Equal(400, SchemaValidator.ToException(result, "Project", "team-a").Code);
    }

    [Fact]
    public void AValidResultHasNoExceptionToBuild()
    {
        var result = SchemaValidator.Validate(Obj("{}"), Schema("{}"), FieldValidation.Strict);
        Assert.True(result.IsValid);
        Assert.Throws<ArgumentException>(() => SchemaValidator.ToException(result, "Project", "team-a"));
    }

    [Fact]
    public void ToExceptionIsAnApiExceptionWithAStatusBody()
    {
        var result = SchemaValidator.Validate(Obj("""{"gpus": "x"}"""), Schema("""{"gpus": {"type": "integer"}}"""), FieldValidation.Strict);
        ApiException e = SchemaValidator.ToException(result, "Project.run.ai", "team-a");
        Assert.Equal("Status", (string?)e.ToStatus()["kind"]);
        Assert.StartsWith("Project.run.ai \"team-a\" is invalid: ", e.Message, StringComparison.Ordinal);
    }
}
