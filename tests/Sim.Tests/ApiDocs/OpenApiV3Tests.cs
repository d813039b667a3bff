using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Api.OpenApi;
using Runai.Sim.Tests.ApiDocs.Support;

namespace Runai.Sim.Tests.ApiDocs;

public sealed class OpenApiV3Tests
{
    private static readonly ResourceDefinition[] Defs =
        [Definitions.Project(), Definitions.Workload(), Definitions.Pod(), Definitions.Namespace(), Definitions.Deployment()];

    [Fact]
    public void TheIndexListsEveryGroupVersionWithAHashedUrl()
    {
        var paths = OpenApiV3.V3Index(Defs)["paths"]!.AsObject();
        Assert.Equal(["api/v1", "apis/apps/v1", "apis/run.ai/v2alpha1"], paths.Select(p => p.Key));
        var url = (string)paths["apis/run.ai/v2alpha1"]!["serverRelativeURL"]!;
        Assert.Matches("^/openapi/v3/apis/run.ai/v2alpha1\\?hash=[0-9A-F]{128}$", url);
    }

    [Fact]
    public void TheHashIsStableAndChangesWithTheSchema()
    {
        string Url(IEnumerable<ResourceDefinition> defs) => (string)OpenApiV3.V3Index(defs)["paths"]!["apis/run.ai/v2alpha1"]!["serverRelativeURL"]!;
        Assert.Equal(Url(Defs), Url(Defs.Reverse()));
        var changed = Definitions.ProjectSchema();
        changed["properties"]!["spec"]!["properties"]!["extra"] = new JsonObject { ["type"] = "string" };
        Assert.NotEqual(Url(Defs), Url([Definitions.Project() with { Schema = changed }, Definitions.Workload()]));
    }

    [Fact]
    public void TheItemPatchOperationCarriesTheKindAndTheFieldValidationParameter()
    {
        var doc = OpenApiV3.V3GroupVersion("/openapi/v3/apis/run.ai/v2alpha1?hash=abc", Defs);
        var patch = doc["paths"]!["/apis/run.ai/v2alpha1/projects/{name}"]!["patch"]!;
        var gvk = patch["x-kubernetes-group-version-kind"]!;
        Assert.Equal("run.ai", (string?)gvk["group"]);
        Assert.Equal("v2alpha1", (string?)gvk["version"]);
        Assert.Equal("Project", (string?)gvk["kind"]);
        var queryParameters = patch["parameters"]!.AsArray().Where(p => (string?)p!["in"] == "query").Select(p => (string)p!["name"]!).ToList();
        Assert.Equal(["dryRun", "fieldManager", "fieldValidation", "force"], queryParameters);
        Assert.Equal("patchRunAiV2alpha1Project", (string?)patch["operationId"]);
        Assert.Equal("patch", (string?)patch["x-kubernetes-action"]);
        Assert.DoesNotContain("application/strategic-merge-patch+json", patch["requestBody"]!["content"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void NamespacedKindsHaveCollectionItemAndAllNamespacesPaths()
    {
        var doc = OpenApiV3.V3GroupVersion("apis/run.ai/v2alpha1", Defs);
        var paths = doc["paths"]!.AsObject();
        var collection = paths["/apis/run.ai/v2alpha1/namespaces/{namespace}/workloads"]!;
        Assert.Equal("listRunAiV2alpha1NamespacedWorkload", (string?)collection["get"]!["operationId"]);
        Assert.Equal(["dryRun", "fieldManager", "fieldValidation"], collection["post"]!["parameters"]!.AsArray().Select(p => (string)p!["name"]!));
        Assert.Equal("deletecollection", (string?)collection["delete"]!["x-kubernetes-action"]);
        var item = paths["/apis/run.ai/v2alpha1/namespaces/{namespace}/workloads/{name}"]!.AsObject();
        Assert.Equal(["get", "put", "patch", "delete", "parameters"], item.Select(p => p.Key));
        Assert.Equal(["name", "namespace", "pretty"], item["parameters"]!.AsArray().Select(p => (string)p!["name"]!));
        Assert.Equal("listRunAiV2alpha1WorkloadForAllNamespaces", (string?)paths["/apis/run.ai/v2alpha1/workloads"]!["get"]!["operationId"]);
        Assert.NotNull(paths["/apis/run.ai/v2alpha1/projects/{name}/status"]!["patch"]);
    }

    [Fact]
    public void CoreKindsLiveUnderApiV1WithTheRealNames()
    {
        var doc = OpenApiV3.V3GroupVersion("api/v1", Defs);
        var patch = doc["paths"]!["/api/v1/namespaces/{namespace}/pods/{name}"]!["patch"]!;
        Assert.Equal("patchCoreV1NamespacedPod", (string?)patch["operationId"]);
        Assert.Equal("", (string?)patch["x-kubernetes-group-version-kind"]!["group"]);
        Assert.Contains("application/strategic-merge-patch+json", patch["requestBody"]!["content"]!.AsObject().Select(p => p.Key));
        var schemas = doc["components"]!["schemas"]!.AsObject();
        Assert.True(schemas.ContainsKey("io.k8s.api.core.v1.Pod"));
        Assert.True(schemas.ContainsKey("io.k8s.api.core.v1.PodList"));
        Assert.Equal("readCoreV1Namespace", (string?)doc["paths"]!["/api/v1/namespaces/{name}"]!["get"]!["operationId"]);
        Assert.Equal("Kubernetes", (string?)doc["info"]!["title"]);
    }

    [Fact]
    public void ScaleSubresourcesAnswerWithAutoscalingScale()
    {
        var doc = OpenApiV3.V3GroupVersion("apis/apps/v1", Defs);
        var patch = doc["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]!["patch"]!;
        Assert.Equal("Scale", (string?)patch["x-kubernetes-group-version-kind"]!["kind"]);
        Assert.Equal("autoscaling", (string?)patch["x-kubernetes-group-version-kind"]!["group"]);
        Assert.Equal("patchAppsV1NamespacedDeploymentScale", (string?)patch["operationId"]);
    }

    [Fact]
    public void TheKindSchemaComesFromTheDefinitionWithTypeMetaAndObjectMetaAdded()
    {
        var doc = OpenApiV3.V3GroupVersion("apis/run.ai/v2alpha1", Defs);
        var schema = doc["components"]!["schemas"]!["ai.run.v2alpha1.Project"]!;
        Assert.Equal("integer", (string?)schema["properties"]!["spec"]!["properties"]!["gpus"]!["properties"]!["quota"]!["type"]);
        Assert.Equal("string", (string?)schema["properties"]!["apiVersion"]!["type"]);
        Assert.Equal("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            (string?)schema["properties"]!["metadata"]!["allOf"]![0]!["$ref"]);
        var gvk = Assert.Single(schema["x-kubernetes-group-version-kind"]!.AsArray())!;
        Assert.Equal("Project", (string?)gvk["kind"]);
        Assert.Equal("ProjectList", (string?)doc["components"]!["schemas"]!["ai.run.v2alpha1.ProjectList"]!["x-kubernetes-group-version-kind"]![0]!["kind"]);
        Assert.Equal("Kubernetes CRD Swagger", (string?)doc["info"]!["title"]);
        Assert.Null(Definitions.Project().Schema!["properties"]!["metadata"]!["allOf"]);
    }

    [Fact]
    public void ABuiltInKindWithoutSchemaLeavesStrategicMergeToKubectlsCompiledTypes()
    {
        var doc = OpenApiV3.V3GroupVersion("api/v1", Defs);
        Assert.Null(doc["components"]!["schemas"]!["io.k8s.api.core.v1.Pod"]!["x-kubernetes-group-version-kind"]);
        Assert.NotNull(doc["paths"]!["/api/v1/namespaces/{namespace}/pods/{name}"]!["patch"]!["x-kubernetes-group-version-kind"]);
    }

    [Fact]
    public void EveryReferenceResolvesWithinTheDocument()
    {
        foreach (var path in new[] { "api/v1", "apis/apps/v1", "apis/run.ai/v2alpha1" })
        {
            var doc = OpenApiV3.V3GroupVersion(path, Defs);
            var schemas = doc["components"]!["schemas"]!.AsObject();
            foreach (var reference in Refs(doc))
            {
                Assert.StartsWith("#/components/schemas/", reference, StringComparison.Ordinal);
                Assert.True(schemas.ContainsKey(reference["#/components/schemas/".Length..]), $"{path}: {reference} does not resolve");
            }
        }
    }

    [Fact]
    public void AGroupVersionWithoutResourcesIsNotFound()
    {
        var e = Assert.Throws<ApiException>(() => OpenApiV3.V3GroupVersion("apis/batch/v1", Defs));
        Assert.Equal(404, e.Code);
        Assert.Contains("apis/batch/v1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadOnlyKindsGetOnlyReadOperations()
    {
        var def = Definitions.Workload() with { Verbs = ["get", "list", "watch"] };
        var paths = OpenApiV3.V3GroupVersion("apis/run.ai/v2alpha1", [def])["paths"]!.AsObject();
        Assert.Equal(["get", "parameters"], paths["/apis/run.ai/v2alpha1/namespaces/{namespace}/workloads/{name}"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["get", "parameters"], paths["/apis/run.ai/v2alpha1/namespaces/{namespace}/workloads"]!.AsObject().Select(p => p.Key));
    }

    private static IEnumerable<string> Refs(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key == "$ref" ? [(string)p.Value!] : Refs(p.Value)),
        JsonArray a => a.SelectMany(Refs),
        _ => [],
    };
}
