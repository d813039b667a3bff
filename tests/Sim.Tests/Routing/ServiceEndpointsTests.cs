using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Api.Storage;

namespace Runai.Sim.Tests.Routing;

public sealed class ServiceEndpointsTests
{
    private static ObjectStore StoreWith(bool withEndpoints = true)
    {
        var store = new ObjectStore();
        store.Create(BuiltInResources.Find("", "services")!, JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"svc","namespace":"runai","uid":"s1"},
             "spec":{"ports":[{"name":"metrics","port":8080,"targetPort":"metrics"},{"name":"webhook","port":443,"targetPort":9443}]}}
            """)!.AsObject());
        if (withEndpoints)
        {
            store.Create(BuiltInResources.Find("", "endpoints")!, JsonNode.Parse("""
                {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"svc","namespace":"runai","uid":"e1"},
                 "subsets":[{"addresses":[{"ip":"127.0.0.1"}],"ports":[{"name":"metrics","port":40001},{"name":"webhook","port":40002}]}]}
                """)!.AsObject());
        }

        return store;
    }

    [Theory]
    [InlineData("metrics", "127.0.0.1:40001")]
    [InlineData("8080", "127.0.0.1:40001")]
    [InlineData("webhook", "127.0.0.1:40002")]
    [InlineData("443", "127.0.0.1:40002")]
    [InlineData("", "127.0.0.1:40001")]
    [InlineData(null, "127.0.0.1:40001")]
    public void APortByNameOrNumberResolvesToItsEndpoint(string? port, string expected) =>
        Assert.Equal(expected, ServiceEndpoints.Resolve(StoreWith(), "runai", "svc", port));

    [Fact]
    public void APortTheServiceDoesNotExposeResolvesToNothing() =>
        Assert.Null(ServiceEndpoints.Resolve(StoreWith(), "runai", "svc", "9999"));

    [Fact]
    public void AServiceWithoutReadyEndpointsResolvesToNothing() =>
        Assert.Null(ServiceEndpoints.Resolve(StoreWith(withEndpoints: false), "runai", "svc", "metrics"));

    [Fact]
    public void AMissingServiceResolvesToNothing() =>
        Assert.Null(ServiceEndpoints.Resolve(StoreWith(), "runai", "other", "metrics"));
}
