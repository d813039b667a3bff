using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Runai.Core;
using Runai.Hosting.Tests.Support;

namespace Runai.Admission.Tests;

/// <summary>runai-admission as deployed: a pod of the simulated cluster, under its own ServiceAccount, called by the API server.</summary>
public sealed class AdmissionEndToEndTests(AdmissionClusterFixture cluster) : IClassFixture<AdmissionClusterFixture>
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    private static V1Pod Pod(string name, string ns, string? scheduler = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1PodSpec { SchedulerName = scheduler, Containers = [new V1Container { Name = "main", Image = "busybox" }] },
    };

    [Fact]
    public async Task TheSeedMpiJobsPodsAreSentToRunaiSchedulerWithProjectAndWorkloadLabels()
    {
        // The webhook is registered before the seed's MPIJob exists; its pods are refused (failurePolicy Fail) until a
        // replica answers, and the MPI operator retries, so none slips past to the default scheduler.
        await Eventually.HoldsAsync(async () =>
        {
            var pods = await cluster.Admin.CoreV1.ListNamespacedPodAsync("my-project", labelSelector: $"{KubeflowLabels.JobRole}={KubeflowLabels.RoleWorker}");
            return pods.Items.Count == 2;
        }, Startup, () => "the seed MPIJob's two workers exist");

        var workers = (await cluster.Admin.CoreV1.ListNamespacedPodAsync("my-project", labelSelector: $"{KubeflowLabels.JobRole}={KubeflowLabels.RoleWorker}")).Items;
        foreach (var pod in workers)
        {
            Assert.Equal("runai-scheduler", pod.Spec.SchedulerName);
            Assert.Equal("my-project", pod.Metadata.Labels[RunaiLabels.Project]);
            Assert.Equal("nccl-roce-validation", pod.Metadata.Labels[RunaiLabels.WorkloadName]);
            Assert.Equal("MPIJob", pod.Metadata.Labels[RunaiLabels.WorkloadKind]);
            Assert.Null(pod.Spec.NodeName); // nothing but runai-scheduler may place them
        }

        // The leader filled in the CA bundle from the Secret it created.
        var secret = await cluster.Admin.CoreV1.ReadNamespacedSecretAsync("runai-admission-tls", "runai");
        await Eventually.HoldsAsync(async () =>
        {
            var config = await cluster.Admin.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync("runai-admission");
            return config.Webhooks[0].ClientConfig.CaBundle is { } ca && ca.AsSpan().SequenceEqual(secret.Data["ca.crt"]);
        }, Startup, () => "the webhook's caBundle is the Secret's CA");
    }

    [Fact]
    public async Task PodsOutsideProjectNamespacesAndExplicitSchedulersAreLeftAlone()
    {
        await cluster.WebhookUrlAsync(Startup);
        var plain = await cluster.Admin.CoreV1.CreateNamespacedPodAsync(Pod("plain", "default"), "default");
        Assert.Equal("default-scheduler", plain.Spec.SchedulerName);
        Assert.True(plain.Metadata.Labels is null || !plain.Metadata.Labels.ContainsKey(RunaiLabels.Project));

        var mine = await CreateWhenAdmittedAsync(Pod("custom-scheduler", "my-project", "volcano"));
        Assert.Equal("volcano", mine.Spec.SchedulerName);
        Assert.Equal("my-project", mine.Metadata.Labels[RunaiLabels.Project]);
    }

    [Fact]
    public async Task AMalformedReviewGetsADenialNamingTheProblem()
    {
        var url = await cluster.WebhookUrlAsync(Startup);
        using var http = await cluster.WebhookClientAsync();
        using var response = await http.PostAsync(new Uri(url, "/mutate-pods"), new StringContent("{\"request\": 42", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var review = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.False((bool)review["response"]!["allowed"]!);
        Assert.Equal(400, (int)review["response"]!["status"]!["code"]!);
        Assert.Contains("not JSON", (string)review["response"]!["status"]!["message"]!);

        // It keeps serving: a well-formed review right after is answered.
        var good = new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["request"] = new JsonObject
            {
                ["uid"] = "after", ["kind"] = new JsonObject { ["kind"] = "Pod" }, ["operation"] = "CREATE", ["namespace"] = "my-project",
                ["object"] = JsonNode.Parse(KubernetesJson.Serialize(Pod("x", "my-project"))),
            },
        };
        using var ok = await http.PostAsync(new Uri(url, "/mutate-pods"), new StringContent(good.ToJsonString(), Encoding.UTF8, "application/json"));
        var answer = JsonNode.Parse(await ok.Content.ReadAsStringAsync())!;
        Assert.Equal("after", (string?)answer["response"]!["uid"]);
        Assert.True((bool)answer["response"]!["allowed"]!);
    }

    [Fact]
    public async Task WithNoReplicaPodsAreRefusedUnderFailAndLetThroughUnderIgnore()
    {
        await cluster.WebhookUrlAsync(Startup);
        await ScaleAsync(0);
        try
        {
            await Eventually.HoldsAsync(async () =>
                (await cluster.Admin.CoreV1.ListNamespacedPodAsync("runai", labelSelector: "app=runai-admission")).Items.Count == 0,
                Startup, () => "runai-admission has no pods");

            var refused = await Assert.ThrowsAsync<HttpOperationException>(() =>
                cluster.Admin.CoreV1.CreateNamespacedPodAsync(Pod("while-down", "my-project"), "my-project"));
            Assert.Equal(HttpStatusCode.InternalServerError, refused.Response.StatusCode);
            Assert.Contains("pods.runai-admission.run.ai", refused.Response.Content);

            var config = await cluster.Admin.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync("runai-admission");
            config.Webhooks[0].FailurePolicy = "Ignore";
            await cluster.Admin.AdmissionregistrationV1.ReplaceMutatingWebhookConfigurationAsync(config, "runai-admission");
            var through = await cluster.Admin.CoreV1.CreateNamespacedPodAsync(Pod("while-down-ignored", "my-project"), "my-project");
            Assert.Equal("default-scheduler", through.Spec.SchedulerName);
        }
        finally
        {
            await ScaleAsync(1);
        }

        // The new leader puts the configured policy (Fail) back.
        await Eventually.HoldsAsync(async () =>
            (await cluster.Admin.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync("runai-admission")).Webhooks[0].FailurePolicy == "Fail",
            Startup, () => "the leader restores failurePolicy Fail");
        var after = await CreateWhenAdmittedAsync(Pod("after-restart", "my-project"));
        Assert.Equal("runai-scheduler", after.Spec.SchedulerName);
    }

    private async Task ScaleAsync(int replicas) =>
        await cluster.Admin.AppsV1.PatchNamespacedDeploymentScaleAsync(
            new V1Patch(new { spec = new { replicas } }, V1Patch.PatchType.MergePatch), "runai-admission", "runai");

    /// <summary>Creates a pod in a project namespace, retrying while the webhook is not yet reachable (failurePolicy Fail).</summary>
    private async Task<V1Pod> CreateWhenAdmittedAsync(V1Pod pod)
    {
        V1Pod? created = null;
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                created = await cluster.Admin.CoreV1.CreateNamespacedPodAsync(pod, pod.Metadata.NamespaceProperty);
                return true;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.InternalServerError)
            {
                return false;
            }
        }, Startup, () => $"pod {pod.Metadata.Name} is admitted");
        return created!;
    }
}
