using System.Text.Json.Nodes;
using Runai.Sim.Api;

namespace Runai.Sim.Tests.Rbac;

public sealed class CustomResourceDefinitionTests
{
    static JsonObject MpiJobCrd() => JsonNode.Parse("""
        {
          "apiVersion": "apiextensions.k8s.io/v1",
          "kind": "CustomResourceDefinition",
          "metadata": {"name": "mpijobs.kubeflow.org"},
          "spec": {
            "group": "kubeflow.org",
            "scope": "Namespaced",
            "names": {"plural": "mpijobs", "singular": "mpijob", "kind": "MPIJob", "listKind": "MPIJobList",
                      "shortNames": ["mj"], "categories": ["kubeflow", "all"]},
            "versions": [
              {"name": "v1", "served": false, "storage": false,
               "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
              {"name": "v2beta1", "served": true, "storage": true,
               "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object",
                  "properties": {"slotsPerWorker": {"type": "integer", "default": 1}}}}}},
               "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.mpiReplicaSpecs.Worker.replicas",
                                                         "statusReplicasPath": ".status.replicaStatuses.Worker.active"}},
               "additionalPrinterColumns": [
                 {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                 {"name": "State", "type": "string", "jsonPath": ".status.conditions[-1:].type", "description": "last condition", "priority": 1}
               ]}
            ]
          }
        }
        """)!.AsObject();

    [Fact]
    public void CrdBecomesTheResourceItDefines()
    {
        var def = BuiltInResources.FromCrd(MpiJobCrd(), "v2beta1");

        Assert.Equal("kubeflow.org/v2beta1", def.ApiVersion);
        Assert.Equal("MPIJob", def.Kind);
        Assert.Equal("mpijobs", def.Plural);
        Assert.True(def.Namespaced);
        Assert.False(def.BuiltIn);
        Assert.Equal(["mj"], def.ShortNames);
        Assert.Equal(["kubeflow", "all"], def.Categories);
        Assert.Equal(["status", "scale"], def.Subresources);
        Assert.Equal(1, def.Schema!["properties"]!["spec"]!["properties"]!["slotsPerWorker"]!["default"]!.GetValue<int>());
        Assert.Equal(ResourceDefinition.DefaultVerbs, def.Verbs);
        Assert.Equal(2, def.PrinterColumns.Count);
        Assert.Equal(new PrinterColumn("State", "string", ".status.conditions[-1:].type", null, "last condition", 1), def.PrinterColumns[1]);
    }

    [Fact]
    public void DefinitionDoesNotShareTheCrdsSchemaObject()
    {
        var crd = MpiJobCrd();
        var def = BuiltInResources.FromCrd(crd, "v2beta1");

        def.Schema!["type"] = "changed";

        Assert.Equal("object", crd["spec"]!["versions"]![1]!["schema"]!["openAPIV3Schema"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void ClusterScopedCrdIsNotNamespaced()
    {
        var crd = MpiJobCrd();
        crd["spec"]!["scope"] = "Cluster";

        Assert.False(BuiltInResources.FromCrd(crd, "v2beta1").Namespaced);
    }

    [Fact]
    public void ScalePathsComeFromTheVersionsScaleSubresource()
    {
        var paths = BuiltInResources.ScalePathsOf(MpiJobCrd(), "v2beta1");

        Assert.Equal(new CrdScalePaths(".spec.mpiReplicaSpecs.Worker.replicas", ".status.replicaStatuses.Worker.active", null), paths);
        Assert.Null(BuiltInResources.ScalePathsOf(MpiJobCrd(), "v1"));
    }

    [Fact]
    public void ServedVersionsLeaveOutUnservedOnes()
    {
        Assert.Equal(["v2beta1"], BuiltInResources.ServedVersions(MpiJobCrd()));
    }

    [Fact]
    public void UnknownVersionIsABadRequest()
    {
        var error = Assert.Throws<ApiException>(() => BuiltInResources.FromCrd(MpiJobCrd(), "v9"));

        Assert.Equal(400, error.Code);
        Assert.Contains("\"v9\"", error.Message);
    }

    [Fact]
    public void ValidCrdHasNoProblems()
    {
        Assert.Empty(BuiltInResources.CrdProblems(MpiJobCrd()));
    }

    [Fact]
    public void InvalidCrdIsRejectedWithTheRealServersMessage()
    {
        var crd = MpiJobCrd();
        crd["metadata"]!["name"] = "mpijob.kubeflow.org";

        var error = Assert.Throws<ApiException>(() => BuiltInResources.FromCrd(crd, "v2beta1"));

        Assert.Equal(422, error.Code);
        Assert.Equal("CustomResourceDefinition.apiextensions.k8s.io \"mpijob.kubeflow.org\" is invalid: " +
            "metadata.name: Invalid value: \"mpijob.kubeflow.org\": must be spec.names.plural+\".\"+spec.group", error.Message);
    }

    public static TheoryData<string, Action<JsonObject>, string> Problems => new()
    {
        { "group missing", c => c["spec"]!.AsObject().Remove("group"), "spec.group: Required value" },
        { "group without dot", c => { c["spec"]!["group"] = "kubeflow"; c["metadata"]!["name"] = "mpijobs.kubeflow"; },
            "spec.group: Invalid value: \"kubeflow\": should be a domain with at least one dot" },
        { "plural missing", c => c["spec"]!["names"]!.AsObject().Remove("plural"), "spec.names.plural: Required value" },
        { "plural not lowercase", c => { c["spec"]!["names"]!["plural"] = "MPIJobs"; c["metadata"]!["name"] = "MPIJobs.kubeflow.org"; },
            "spec.names.plural: Invalid value: \"MPIJobs\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'" },
        { "kind missing", c => c["spec"]!["names"]!.AsObject().Remove("kind"), "spec.names.kind: Required value" },
        { "names missing", c => c["spec"]!.AsObject().Remove("names"), "spec.names.plural: Required value" },
        { "scope wrong", c => c["spec"]!["scope"] = "Global", "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\"" },
        { "no versions", c => c["spec"]!["versions"] = new JsonArray(),
            "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion(nil): must have exactly one version marked as storage version" },
        { "no storage version", c => c["spec"]!["versions"]![1]!["storage"] = false, "must have exactly one version marked as storage version" },
        { "two storage versions", c => c["spec"]!["versions"]![0]!["storage"] = true, "must have exactly one version marked as storage version" },
        { "duplicate version", c => c["spec"]!["versions"]![0]!["name"] = "v2beta1", "must contain unique version names" },
        { "no schema", c => c["spec"]!["versions"]![1]!.AsObject().Remove("schema"),
            "spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required" },
        { "name mismatch", c => c["metadata"]!["name"] = "jobs.kubeflow.org",
            "metadata.name: Invalid value: \"jobs.kubeflow.org\": must be spec.names.plural+\".\"+spec.group" },
    };

    [Theory]
    [MemberData(nameof(Problems))]
    public void CrdProblemsNameWhatIsWrong(string what, Action<JsonObject> spoil, string expected)
    {
        var crd = MpiJobCrd();
        spoil(crd);

        var problems = BuiltInResources.CrdProblems(crd);

        Assert.True(problems.Any(p => p.Contains(expected, StringComparison.Ordinal)), $"{what}: got [{string.Join(" | ", problems)}]");
    }
}
