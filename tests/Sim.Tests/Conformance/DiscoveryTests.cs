using k8s;
using k8s.Models;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Conformance;

/// <summary>A CRD created at run time is served and discovered at once, and disappears when deleted.</summary>
public sealed class DiscoveryTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    private static V1CustomResourceDefinition Gadgets() => new()
    {
        Metadata = new V1ObjectMeta { Name = "gadgets.example.com" },
        Spec = new V1CustomResourceDefinitionSpec
        {
            Group = "example.com",
            Scope = "Namespaced",
            Names = new V1CustomResourceDefinitionNames { Plural = "gadgets", Singular = "gadget", Kind = "Gadget", ListKind = "GadgetList" },
            Versions =
            [
                new V1CustomResourceDefinitionVersion
                {
                    Name = "v1",
                    Served = true,
                    Storage = true,
                    Schema = new V1CustomResourceValidation
                    {
                        OpenAPIV3Schema = new V1JSONSchemaProps { Type = "object", XKubernetesPreserveUnknownFields = true },
                    },
                },
            ],
        },
    };

    [Fact]
    public async Task ACrdCreatedByTheClientIsServedToKubectlUntilDeleted()
    {
        // kubectl caches discovery first, so the new kind must show up despite a warm cache.
        Assert.Equal(0, (await cluster.KubectlAsync("api-resources")).ExitCode);

        await cluster.Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(Gadgets());
        await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(new Dictionary<string, object>
        {
            ["apiVersion"] = "example.com/v1",
            ["kind"] = "Gadget",
            ["metadata"] = new Dictionary<string, object> { ["name"] = "first" },
        }, "example.com", "v1", "default", "gadgets");

        var resources = await cluster.KubectlAsync("api-resources", "--api-group=example.com");
        var listed = await cluster.KubectlAsync("get", "gadgets", "-n", "default");
        Assert.True(resources.ExitCode == 0, resources.ToString());
        Assert.Contains(resources.Stdout.Split('\n'), l => l.StartsWith("gadgets ", StringComparison.Ordinal) && l.Contains("example.com/v1") && l.Contains("Gadget"));
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains("first", listed.Stdout);

        await cluster.Client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("gadgets.example.com");

        var after = await cluster.KubectlAsync("api-resources", "--api-group=example.com");
        var gone = await cluster.KubectlAsync("get", "gadgets", "-n", "default");
        Assert.DoesNotContain("gadgets", after.Stdout);
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains("the server doesn't have a resource type \"gadgets\"", gone.Stderr);
        var error = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() =>
            cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync("example.com", "v1", "default", "gadgets"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, error.Response.StatusCode);
    }
}
