using k8s;
using k8s.Models;
using Runai.Sim.Tests.Conformance.Support;
using Runai.Sim.Tests.Support;
using static Runai.Sim.Tests.Conformance.Support.Manifests;

namespace Runai.Sim.Tests.Conformance;

/// <summary>Mutating webhooks are called and their patches applied, failurePolicy decides when one is down; defaulting as a real server does.</summary>
public sealed class AdmissionTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    /// <summary>Registers a webhook for pod creation, scoped by object selector to pods labelled webhook-case=<paramref name="scope"/>.</summary>
    private async Task RegisterAsync(string scope, string url, string failurePolicy) =>
        await cluster.Client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = scope },
            Webhooks =
            [
                new V1MutatingWebhook
                {
                    Name = $"{scope}.example.com",
                    ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = url },
                    Rules = [new V1RuleWithOperations { ApiGroups = [""], ApiVersions = ["v1"], Operations = ["CREATE"], Resources = ["pods"] }],
                    ObjectSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["webhook-case"] = scope } },
                    FailurePolicy = failurePolicy,
                    SideEffects = "None",
                    AdmissionReviewVersions = ["v1"],
                    TimeoutSeconds = 5,
                },
            ],
        });

    private static Manifest ScopedPod(string scope) => Pod("default", UniqueName("hooked"), new Dictionary<string, string> { ["webhook-case"] = scope });

    [Theory, ClassData(typeof(BothClients))]
    public async Task AMutatingWebhooksPatchIsOnTheStoredPod(string client)
    {
        await using var webhook = await WebhookServer.StartAsync();
        var scope = UniqueName($"mutate-{client}");
        await RegisterAsync(scope, webhook.Url, "Fail");
        var via = cluster.Driver(client);
        var pod = ScopedPod(scope);

        (await via.CreateAsync(pod)).Ok.ToString();

        var stored = (await via.GetAsync(pod.Ref)).Ok;
        Assert.Equal("yes", (string?)stored["metadata"]?["labels"]?["mutated"]);
        Assert.Equal("runai-scheduler", (string?)stored["spec"]?["schedulerName"]);
        Assert.Equal(1, webhook.Reviews);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task AnUnreachableWebhookWithFailurePolicyFailRejectsTheCreate(string client)
    {
        var url = await StoppedWebhookUrlAsync();
        var scope = UniqueName($"fail-{client}");
        await RegisterAsync(scope, url, "Fail");
        var via = cluster.Driver(client);
        var pod = ScopedPod(scope);

        var error = (await via.CreateAsync(pod)).Failure;

        Assert.Equal(500, error.Code);
        Assert.Equal("InternalError", error.Reason);
        Assert.Contains($"{scope}.example.com", error.Message);
        Assert.Equal("NotFound", (await via.GetAsync(pod.Ref)).Failure.Reason);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task AnUnreachableWebhookWithFailurePolicyIgnoreLetsTheCreateThrough(string client)
    {
        var url = await StoppedWebhookUrlAsync();
        var scope = UniqueName($"ignore-{client}");
        await RegisterAsync(scope, url, "Ignore");
        var via = cluster.Driver(client);
        var pod = ScopedPod(scope);

        var created = (await via.CreateAsync(pod)).Ok;

        Assert.Null(created["metadata"]?["labels"]?["mutated"]);
    }

    /// <summary>The address of a webhook that was started and stopped again: nothing listens there now.</summary>
    private static async Task<string> StoppedWebhookUrlAsync()
    {
        var webhook = await WebhookServer.StartAsync();
        var url = webhook.Url;
        await webhook.DisposeAsync();
        return url;
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task AContainerWithOnlyAGpuLimitGetsEqualRequests(string client)
    {
        var via = cluster.Driver(client);
        var pod = Pod("default", UniqueName("gpu"), resources: new System.Text.Json.Nodes.JsonObject
        {
            ["limits"] = new System.Text.Json.Nodes.JsonObject { ["nvidia.com/gpu"] = "2" },
        });

        (await via.CreateAsync(pod)).Ok.ToString();

        var stored = (await via.GetAsync(pod.Ref)).Ok;
        Assert.Equal("2", (string?)stored["spec"]?["containers"]?[0]?["resources"]?["requests"]?["nvidia.com/gpu"]);
    }
}
