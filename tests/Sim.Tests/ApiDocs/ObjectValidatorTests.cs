using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Api.Validation;

namespace Runai.Sim.Tests.ApiDocs;

public sealed class ObjectValidatorTests
{
    private const string SubdomainRule =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character " +
        "(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    private static JsonObject Obj(string metadata, string kind = "Project", string apiVersion = "run.ai/v2alpha1") =>
        JsonNode.Parse($$"""{"apiVersion": "{{apiVersion}}", "kind": "{{kind}}", "metadata": {{metadata}}}""")!.AsObject();

    private static ApiException Invalid(JsonObject obj, bool namespaced = false) =>
        Assert.Throws<ApiException>(() => ObjectValidator.ValidateObjectMeta(obj, namespaced));

    [Theory]
    [InlineData("team-a")]
    [InlineData("projects.run.ai")]
    [InlineData("a")]
    [InlineData("0abc")]
    public void SubdomainNamesAreAccepted(string name) =>
        ObjectValidator.ValidateObjectMeta(Obj($$"""{"name": "{{name}}"}"""), namespaced: false);

    [Fact]
    public void ABadNameIsRefusedWithTheRealWording()
    {
        var e = Invalid(Obj("""{"name": "Bad_Name"}"""));
        Assert.Equal(422, e.Code);
        Assert.Equal($"Project.run.ai \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": {SubdomainRule}", e.Message);
        var cause = Assert.Single(e.Details!["causes"]!.AsArray())!;
        Assert.Equal("FieldValueInvalid", (string?)cause["reason"]);
        Assert.Equal("metadata.name", (string?)cause["field"]);
    }

    [Theory]
    [InlineData("-leading")]
    [InlineData("trailing-")]
    [InlineData("UPPER")]
    [InlineData("has space")]
    [InlineData("a..b")]
    [InlineData("line\n")]
    public void NamesOutsideTheSubdomainSyntaxAreRefused(string name) =>
        Assert.Contains(SubdomainRule, Invalid(Obj(new JsonObject { ["name"] = name }.ToJsonString())).Message, StringComparison.Ordinal);

    [Fact]
    public void ANameLongerThan253CharactersIsRefused()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 50), 6));
        Assert.Contains("must be no more than 253 characters", Invalid(Obj($$"""{"name": "{{name}}"}""")).Message, StringComparison.Ordinal);
        ObjectValidator.ValidateObjectMeta(Obj($$"""{"name": "{{name[..253].TrimEnd('.')}}"}"""), namespaced: false);
    }

    [Fact]
    public void NamespacesAndServicesUseTheirStricterLabelRules()
    {
        Assert.Contains("a lowercase RFC 1123 label must consist of", Invalid(Obj("""{"name": "a.b"}""", "Namespace", "v1")).Message, StringComparison.Ordinal);
        Assert.Contains("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character",
            Invalid(Obj("""{"name": "1svc", "namespace": "default"}""", "Service", "v1"), namespaced: true).Message, StringComparison.Ordinal);
        Assert.StartsWith("Service \"1svc\" is invalid", Invalid(Obj("""{"name": "1svc", "namespace": "default"}""", "Service", "v1"), namespaced: true).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANameOrGenerateNameIsRequired()
    {
        Assert.EndsWith("metadata.name: Required value: name or generateName is required", Invalid(Obj("{}")).Message, StringComparison.Ordinal);
        ObjectValidator.ValidateObjectMeta(Obj("""{"generateName": "job-"}"""), namespaced: false);
        Assert.Contains("metadata.generateName: Invalid value: \"Job-\"", Invalid(Obj("""{"generateName": "Job-"}""")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NamespacedObjectsNeedAValidNamespaceAndClusterObjectsMayNotHaveOne()
    {
        Assert.EndsWith("metadata.namespace: Required value", Invalid(Obj("""{"name": "w"}"""), namespaced: true).Message, StringComparison.Ordinal);
        Assert.Contains("metadata.namespace: Invalid value: \"Run_AI\"", Invalid(Obj("""{"name": "w", "namespace": "Run_AI"}"""), namespaced: true).Message, StringComparison.Ordinal);
        Assert.EndsWith("metadata.namespace: Forbidden: not allowed on this type", Invalid(Obj("""{"name": "p", "namespace": "default"}""")).Message, StringComparison.Ordinal);
        ObjectValidator.ValidateObjectMeta(Obj("""{"name": "w", "namespace": "runai"}"""), namespaced: true);
    }

    [Fact]
    public void LabelKeysAndValuesFollowTheQualifiedNameRules()
    {
        ObjectValidator.ValidateObjectMeta(Obj("""{"name": "p", "labels": {"run.ai/project": "team-a", "app": "", "A_b.c": "X.y_z"}}"""), namespaced: false);

        var badKey = Invalid(Obj("""{"name": "p", "labels": {"bad key": "v"}}""")).Message;
        Assert.Contains("metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', " +
            "and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " +
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')", badKey, StringComparison.Ordinal);

        var badPrefix = Invalid(Obj("""{"name": "p", "labels": {"Run.AI/project": "v"}}""")).Message;
        Assert.Contains("prefix part a lowercase RFC 1123 subdomain", badPrefix, StringComparison.Ordinal);
        Assert.Contains("a qualified name must consist of", Invalid(Obj("""{"name": "p", "labels": {"a/b/c": "v"}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("prefix part must be non-empty", Invalid(Obj("""{"name": "p", "labels": {"/b": "v"}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("name part must be no more than 63 characters", Invalid(Obj($$$"""{"name": "p", "labels": {"{{{new string('k', 64)}}}": "v"}}""")).Message, StringComparison.Ordinal);

        var badValue = Invalid(Obj("""{"name": "p", "labels": {"app": "not ok!"}}""")).Message;
        Assert.Contains("metadata.labels: Invalid value: \"not ok!\": a valid label must be an empty string or consist of alphanumeric characters", badValue, StringComparison.Ordinal);
        Assert.Contains("must be no more than 63 characters", Invalid(Obj($$$"""{"name": "p", "labels": {"app": "{{{new string('v', 64)}}}"}}""")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnnotationsMayNotExceed256KiBInTotal()
    {
        var big = new string('x', 128 * 1024);
        ObjectValidator.ValidateObjectMeta(Obj($$$"""{"name": "p", "annotations": {"a": "{{{big}}}", "b": "{{{big[..^2]}}}"}}"""), namespaced: false);
        var e = Invalid(Obj($$$"""{"name": "p", "annotations": {"a": "{{{big}}}", "b": "{{{big}}}"}}"""));
        Assert.EndsWith("metadata.annotations: Too long: may not be more than 262144 bytes", e.Message, StringComparison.Ordinal);
        Assert.Equal("FieldValueTooLong", (string?)e.Details!["causes"]![0]!["reason"]);
    }

    [Fact]
    public void AnnotationKeysAreQualifiedNamesButMayUseCapitals()
    {
        ObjectValidator.ValidateObjectMeta(Obj("""{"name": "p", "annotations": {"Example.com/Owner": "x y z!"}}"""), namespaced: false);
        Assert.Contains("metadata.annotations: Invalid value: \"no spaces\"", Invalid(Obj("""{"name": "p", "annotations": {"no spaces": ""}}""")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralProblemsAreReportedTogether()
    {
        var e = Invalid(Obj("""{"name": "Bad", "namespace": "x", "labels": {"k": "bad value"}}"""));
        Assert.Equal(3, e.Details!["causes"]!.AsArray().Count);
        Assert.StartsWith("Project.run.ai \"Bad\" is invalid: [metadata.name:", e.Message, StringComparison.Ordinal);
    }
}
