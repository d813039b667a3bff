using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using Runai.Sim.Tests.Conformance.Support;
using Runai.Sim.Tests.Support;
using static Runai.Sim.Tests.Conformance.Support.Manifests;

namespace Runai.Sim.Tests.Conformance;

/// <summary>Bad requests get the right code with a Status body naming the problem, and the server keeps serving after them.</summary>
public sealed class BadInputTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    /// <summary>
    /// Sends a body as it is. KubernetesClient's typed API cannot send malformed JSON, so its side goes through the client's own
    /// HttpClient (same TLS trust, the admin token); kubectl's side is <c>kubectl create --raw</c>.
    /// </summary>
    private async Task<ApiError?> RawPostAsync(string client, string path, string body, string contentType = "application/json")
    {
        if (client == "kubectl")
        {
            var file = Path.Combine(cluster.Cluster.RunDirectory, $"raw-{Guid.NewGuid():N}.txt");
            await File.WriteAllTextAsync(file, body);
            return (await new KubectlDriver(cluster).RunAsync(null, "create", "--raw", path, "-f", file)).Error;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Cluster.ApiUrl, path))
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Cluster.AdminToken);
        using var response = await cluster.Client.HttpClient.SendAsync(request);
        if (response.IsSuccessStatusCode)
        {
            return null;
        }

        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Status", (string?)status["kind"]);
        return new ApiError((int)response.StatusCode, (string?)status["reason"] ?? "", (string?)status["message"] ?? "", status.ToJsonString());
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task MalformedJsonIsABadRequest(string client)
    {
        var error = await RawPostAsync(client, "/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap",""");

        Assert.NotNull(error);
        Assert.Equal(400, error.Code);
        Assert.Equal("BadRequest", error.Reason);
        await AssertStillServingAsync(client);
    }

    [Fact]
    public async Task MalformedYamlIsABadRequest()
    {
        var error = await RawPostAsync("client", "/api/v1/namespaces/default/configmaps", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n", "application/yaml");

        Assert.NotNull(error);
        Assert.Equal(400, error.Code);
        Assert.Equal("BadRequest", error.Reason);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task AnUnknownResourceIsNotFound(string client)
    {
        ApiError error;
        if (client == "kubectl")
        {
            error = (await new KubectlDriver(cluster).RunAsync(null, "get", "--raw", "/apis/run.ai/v2alpha1/nosuchthings")).Failure;
        }
        else
        {
            var e = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CustomObjects.ListClusterCustomObjectAsync("run.ai", "v2alpha1", "nosuchthings"));
            error = ClientDriver.ErrorOf(e);
        }

        Assert.Equal(404, error.Code);
        Assert.Equal("NotFound", error.Reason);
        Assert.Equal("the server could not find the requested resource", error.Message);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task AnUnknownFieldOnACustomResourceIsRejectedUnderStrictValidation(string client)
    {
        var project = Project(UniqueName("strict"), quota: 1).With(o => o["spec"]!["bogus"] = true);

        var error = client == "kubectl"
            ? await RawPostAsync(client, "/apis/run.ai/v2alpha1/projects?fieldValidation=Strict", project.Body.ToJsonString())
            : ClientDriver.ErrorOf(await Assert.ThrowsAsync<HttpOperationException>(() =>
                cluster.Client.CustomObjects.CreateClusterCustomObjectAsync(project.Body, "run.ai", "v2alpha1", "projects", fieldValidation: "Strict")));

        Assert.NotNull(error);
        Assert.Equal(400, error.Code);
        Assert.Equal("BadRequest", error.Reason);
        Assert.Contains("spec.bogus", error.Message);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task ABodyOverThreeMebibytesIsTooLarge(string client)
    {
        var via = cluster.Driver(client);
        var big = ConfigMap("default", UniqueName("big"), new Dictionary<string, string> { ["blob"] = new string('x', (3 * 1024 * 1024) + 1024) });

        var error = (await via.CreateAsync(big)).Failure;

        Assert.Equal(413, error.Code);
        Assert.Equal("RequestEntityTooLarge", error.Reason);
        await AssertStillServingAsync(client);
    }

    private async Task AssertStillServingAsync(string client)
    {
        var via = cluster.Driver(client);
        var after = ConfigMap("default", UniqueName("after"));
        (await via.CreateAsync(after)).Ok.ToString();
        Assert.Equal("v", (string?)(await via.GetAsync(after.Ref)).Ok["data"]?["k"]);
    }
}
