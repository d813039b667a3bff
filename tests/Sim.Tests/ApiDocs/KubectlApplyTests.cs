using System.Text.Json.Nodes;
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
        using var server = new LoopbackApiServer([Definitions.Project(), Definitions.Namespace(), Definitions.Pod()]);
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
        using var server = new LoopbackApiServer([Definitions.Project(), Definitions.Namespace()]);
        using var kubectl = new KubectlRunner(server.Port);
        var file = kubectl.WriteFile("project.yaml", ProjectYaml + "\n  colour: blue\n");

        var (exit, _, stderr) = await kubectl.RunAsync("apply", "-f", file);

        Assert.NotEqual(0, exit);
        Assert.Contains("Error from server (BadRequest)", stderr, StringComparison.Ordinal);
        Assert.Contains("strict decoding error: unknown field \"spec.colour\"", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyWithWarnValidationCreatesTheObjectAndShowsTheServersWarning()
    {
        using var server = new LoopbackApiServer([Definitions.Project(), Definitions.Namespace()]);
        using var kubectl = new KubectlRunner(server.Port);
        var file = kubectl.WriteFile("project.yaml", ProjectYaml + "\n  colour: blue\n");

        var (exit, stdout, stderr) = await kubectl.RunAsync("apply", "--validate=warn", "-f", file);

        Assert.True(exit == 0, stderr);
        Assert.Contains("project.run.ai/team-a created", stdout, StringComparison.Ordinal);
        Assert.Contains("Warning: unknown field \"spec.colour\"", stderr, StringComparison.Ordinal);
        Assert.Contains("fieldValidation=Warn", Assert.Single(server.Requests, r => r.Method == "POST").Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyOfAnInvalidValueShowsTheServersFieldErrors()
    {
        using var server = new LoopbackApiServer([Definitions.Project(), Definitions.Namespace()]);
        using var kubectl = new KubectlRunner(server.Port);
        var file = kubectl.WriteFile("project.yaml", ProjectYaml.Replace("quota: 4", "quota: lots", StringComparison.Ordinal));

        var (exit, _, stderr) = await kubectl.RunAsync("apply", "-f", file);

        Assert.NotEqual(0, exit);
        Assert.Contains("The Project \"team-a\" is invalid", stderr, StringComparison.Ordinal);
        Assert.Contains("spec.gpus.quota: Invalid value: \"string\": spec.gpus.quota in body must be of type integer: \"string\"",
            stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyToAnExistingPodSendsAStrategicMergePatchWithStrictValidation()
    {
        var pod = Definitions.Pod();
        using var server = new LoopbackApiServer([pod, Definitions.Namespace()]);
        const string Applied = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":{"containers":[{"image":"busybox:1","name":"main"}]}}""";
        var stored = JsonNode.Parse(Applied)!.AsObject();
        stored["metadata"]!["annotations"] = new JsonObject { ["kubectl.kubernetes.io/last-applied-configuration"] = Applied };
        stored["metadata"]!["resourceVersion"] = "5";
        server.Objects.Add((pod, stored));
        using var kubectl = new KubectlRunner(server.Port);
        var file = kubectl.WriteFile("pod.yaml", """
            apiVersion: v1
            kind: Pod
            metadata:
              name: p
              namespace: default
            spec:
              containers:
              - name: main
                image: busybox:2
            """);

        var (exit, stdout, stderr) = await kubectl.RunAsync("apply", "-f", file);

        Assert.True(exit == 0, $"kubectl apply failed ({exit}): {stderr}\nrequests:\n{Log(server)}");
        Assert.Contains("pod/p configured", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", stderr, StringComparison.OrdinalIgnoreCase);
        var patch = Assert.Single(server.Requests, r => r.Method == "PATCH");
        Assert.Equal("application/strategic-merge-patch+json", patch.ContentType);
        Assert.Contains("fieldValidation=Strict", patch.Query, StringComparison.Ordinal);
        // Merging the container list by name needs patch merge keys, which kubectl's compiled-in Pod type has
        // and a schema without x-kubernetes-patch-* extensions lacks (kubectl would then replace the whole list).
        Assert.Contains("\"$setElementOrder/containers\"", patch.Body, StringComparison.Ordinal);
    }

    private static string Log(LoopbackApiServer server) =>
        string.Join("\n", server.Requests.Select(r => $"{r.Method} {r.Path}{r.Query}"));
}
