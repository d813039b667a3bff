using System.Net;
using k8s.Autorest;
using Runai.Core.Runtime.Internal;

namespace Runai.Core.Tests.Runtime;

public sealed class ApiErrorsTests
{
    private static HttpOperationException Http(HttpStatusCode code) => new("x")
    {
        Response = new HttpResponseMessageWrapper(new HttpResponseMessage(code), ""),
    };

    [Theory]
    [InlineData(HttpStatusCode.Forbidden, "forbidden")]
    [InlineData(HttpStatusCode.Conflict, "conflict")]
    [InlineData(HttpStatusCode.InternalServerError, "api")]
    public void ApiFailuresAreSortedByStatus(HttpStatusCode code, string reason)
    {
        Assert.Equal(reason, ApiErrors.Reason(Http(code)));
    }

    [Fact]
    public void OtherFailuresAreExceptions()
    {
        Assert.Equal("exception", ApiErrors.Reason(new InvalidOperationException()));
        Assert.Equal("api", ApiErrors.Reason(new HttpRequestException()));
    }

    [Theory]
    [InlineData("GET", "https://h/api/v1/namespaces/a/pods/p", "pods", "get")]
    [InlineData("GET", "https://h/api/v1/namespaces/a/pods", "pods", "list")]
    [InlineData("GET", "https://h/api/v1/pods?watch=true", "pods", "watch")]
    [InlineData("PATCH", "https://h/api/v1/namespaces/a/pods/p/status", "pods", "patch")]
    [InlineData("POST", "https://h/apis/kubeflow.org/v2beta1/namespaces/a/mpijobs", "mpijobs.kubeflow.org", "create")]
    [InlineData("PUT", "https://h/apis/coordination.k8s.io/v1/namespaces/runai/leases/x", "leases.coordination.k8s.io", "update")]
    [InlineData("DELETE", "https://h/api/v1/nodes/n1", "nodes", "delete")]
    [InlineData("DELETE", "https://h/api/v1/namespaces/a/pods", "pods", "deletecollection")]
    [InlineData("GET", "https://h/api/v1/namespaces/a", "namespaces", "get")]
    [InlineData("GET", "https://h/healthz", "unknown", "list")]
    public void ARequestIsNamedByResourceAndVerb(string method, string url, string resource, string verb)
    {
        Assert.Equal((resource, verb), ApiErrors.Describe(new HttpMethod(method), new Uri(url)));
    }
}
