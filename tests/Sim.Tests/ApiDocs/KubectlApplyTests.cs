using Runai.Sim.Tests.ApiDocs.Support;

namespace Runai.Sim.Tests.ApiDocs;

/// <summary>Debian's kubectl 1.32 against the OpenAPI v3 documents: it must hand field validation to the server.</summary>
public sealed class KubectlApplyTests
{
    private const string ProjectYaml = """
        apiVersion: run.ai/v2alpha1
        kind: Project
        metadata:
          name: team-a
        spec:
          gpus:
            quota: 4
        """;

    [Fact]
    public async Task ApplySendsStrictFieldValidationBecauseTheOpenApiPatchOperationAdvertisesIt()
    {
        using var server = new DiscoveryOnlyApiServer([Definitions.Project(), Definitions.Namespace(), Definitions.Pod()]);
        using var kubectl = new KubectlRunner(server.Port);
        var file = kubectl.WriteFile("project.yaml", ProjectYaml);

        var (exit, stdout, stderr) = await kubectl.RunAsync("apply", "-f", file);

        Assert.True(exit == 0, $"kubectl apply failed ({exit}): {stderr}\nrequests:\n{Log(server)}");
        Assert.Contains("project.run.ai/team-a created", stdout, StringComparison.Ordinal);
        var create = Assert.Single(server.Requests, r => r.Method == "POST");
        Assert.Equal("/apis/run.ai/v2alpha1/projects", create.Path);
        Assert.Contains("fieldValidation=Strict", create.Query, StringComparison.Ordinal);
        Assert.Contains("fieldManager=kubectl-client-side-apply", create.Query, StringComparison.Ordinal);
        Assert.Contains(server.Requests, r => r.Path == "/openapi/v3/apis/run.ai/v2alpha1");
    }

    [Fact]
    public async Task ApplyOfAnUndeclaredFieldIsRefusedByTheServerWithTheRealMessage()
    {
        using var server = new DiscoveryOnlyApiServer([Definitions.Project(), Definitions.Namespace()]);
        using var kubectl = new KubectlRunner(server.Port);
        var file = kubectl.WriteFile("project.yaml", ProjectYaml + "\n  colour: blue\n");

        var (exit, _, stderr) = await kubectl.RunAsync("apply", "-f", file);

        Assert.NotEqual(0, exit);
        Assert.Contains("Error from server (BadRequest)", stderr, StringComparison.Ordinal);
        Assert.Contains("strict decoding error: unknown field \"spec.colour\"", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyOfAnInvalidValueShowsTheServersFieldErrors()
    {
        using var server = new DiscoveryOnlyApiServer([Definitions.Project(), Definitions.Namespace()]);
        using var kubectl = new KubectlRunner(server.Port);
        var file = kubectl.WriteFile("project.yaml", ProjectYaml.Replace("quota: 4", "quota: lots", StringComparison.Ordinal));

        var (exit, _, stderr) = await kubectl.RunAsync("apply", "-f", file);

        Assert.NotEqual(0, exit);
        Assert.Contains("The Project \"team-a\" is invalid", stderr, StringComparison.Ordinal);
        Assert.Contains("spec.gpus.quota: Invalid value: \"string\": spec.gpus.quota in body must be of type integer: \"string\"",
            stderr, StringComparison.Ordinal);
    }

    private static string Log(DiscoveryOnlyApiServer server) =>
        string.Join("\n", server.Requests.Select(r => $"{r.Method} {r.Path}{r.Query}"));
}
