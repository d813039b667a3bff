using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Runai.Sim.Tests.Components;

/// <summary>
/// Components run in the simulated cluster as on a real one: a Deployment with a mapped image runs the real process,
/// kubectl rollout/scale/logs act on it, the service proxy and the kube-proxy stand-in reach it, and the audit shows
/// what its identity did. Each test deploys its own component so they do not depend on each other.
/// </summary>
public sealed class ProcessBackedPodTests(ComponentClusterFixture cluster) : IClassFixture<ComponentClusterFixture>
{
    [Fact]
    public async Task MappedImageRunsTheRealProcessWhoseLinesKubectlLogsShows()
    {
        await cluster.DeployAsync("logs-demo");
        var pod = (await cluster.ReadyPodsAsync("logs-demo", 1))[0];

        var logs = await cluster.KubectlAsync("logs", "-n", "runai", "deploy/logs-demo", "--tail=50");
        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Contains($"pod={pod.Name()} ", logs.Stdout, StringComparison.Ordinal);
        Assert.Contains("writes to stderr too", logs.Stdout, StringComparison.Ordinal);
        // The kubelet moved --listen to a free loopback port and handed the process a kubeconfig.
        Assert.Matches(@"listening on 127\.0\.0\.1:\d+ ", logs.Stdout);
        Assert.Contains("kubeconfig=/", logs.Stdout, StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", pod.Status.PodIP);

        var deploy = await cluster.KubectlAsync("get", "deploy", "-n", "runai", "logs-demo", "--no-headers");
        Assert.Matches(@"^logs-demo\s+1/1\s+1\s+1\s", deploy.Stdout);
        var pods = await cluster.KubectlAsync("get", "pods", "-n", "runai", "-l", "app=logs-demo", "--no-headers");
        Assert.Matches(@"^logs-demo-\w+-\w+\s+1/1\s+Running\s+0\s", pods.Stdout);
    }

    [Fact]
    public async Task RolloutRestartReplacesTheProcess()
    {
        await cluster.DeployAsync("restart-demo");
        var before = (await cluster.ReadyPodsAsync("restart-demo", 1))[0];
        var oldPid = await cluster.PidOfAsync(before);

        var restart = await cluster.KubectlAsync("rollout", "restart", "-n", "runai", "deploy/restart-demo");
        Assert.True(restart.ExitCode == 0, restart.ToString());
        var status = await cluster.KubectlAsync("rollout", "status", "-n", "runai", "deploy/restart-demo", "--timeout=60s");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("successfully rolled out", status.Stdout, StringComparison.Ordinal);

        var after = (await cluster.ReadyPodsAsync("restart-demo", 1))[0];
        Assert.NotEqual(before.Name(), after.Name());
        Assert.NotEqual(oldPid, await cluster.PidOfAsync(after));
        await ComponentClusterFixture.EventuallyAsync(() => Task.FromResult(!ComponentClusterFixture.IsAlive(oldPid)), $"old pid {oldPid} to end");
        var replicaSets = await cluster.Client.AppsV1.ListNamespacedReplicaSetAsync("runai", labelSelector: "app=restart-demo");
        Assert.Equal(2, replicaSets.Items.Count);
        Assert.Equal(["1", "2"], replicaSets.Items.Select(r => r.Metadata.Annotations["deployment.kubernetes.io/revision"]).Order());
    }

    [Fact]
    public async Task ScalingToZeroStopsTheProcessAndToTwoRunsTwo()
    {
        await cluster.DeployAsync("scale-demo");
        var pid = await cluster.PidOfAsync((await cluster.ReadyPodsAsync("scale-demo", 1))[0]);

        Assert.Equal(0, (await cluster.KubectlAsync("scale", "-n", "runai", "deploy/scale-demo", "--replicas=0")).ExitCode);
        await ComponentClusterFixture.EventuallyAsync(async () => (await cluster.Client.CoreV1.ListNamespacedPodAsync("runai", labelSelector: "app=scale-demo")).Items.Count == 0, "no pods");
        Assert.False(ComponentClusterFixture.IsAlive(pid));

        Assert.Equal(0, (await cluster.KubectlAsync("scale", "-n", "runai", "deploy/scale-demo", "--replicas=2")).ExitCode);
        var pods = await cluster.ReadyPodsAsync("scale-demo", 2);
        var pids = await Task.WhenAll(pods.Select(cluster.PidOfAsync));
        Assert.Equal(2, pids.Distinct().Count());
        Assert.All(pids, p => Assert.True(ComponentClusterFixture.IsAlive(p)));
        await ComponentClusterFixture.EventuallyAsync(async () =>
            (await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("scale-demo", "runai")).Status is { ReadyReplicas: 2, AvailableReplicas: 2, UpdatedReplicas: 2 },
            "deployment status 2/2");
    }

    [Fact]
    public async Task AKilledProcessIsRestartedWithItsTerminationInLastState()
    {
        await cluster.DeployAsync("crash-demo");
        var pod = (await cluster.ReadyPodsAsync("crash-demo", 1))[0];
        var pid = await cluster.PidOfAsync(pod);

        // A SIGKILL the kubelet did not send is what the kernel's OOM killer does.
        System.Diagnostics.Process.GetProcessById(pid).Kill();

        var restarted = await ComponentClusterFixture.EventuallyAsync(async () =>
        {
            var p = await cluster.Client.CoreV1.ReadNamespacedPodAsync(pod.Name(), "runai");
            var c = p.Status.ContainerStatuses[0];
            return c.RestartCount == 1 && c.Ready == true ? p : null;
        }, "the restarted container to be ready");
        var status = restarted.Status.ContainerStatuses[0];
        Assert.Equal(137, status.LastState.Terminated.ExitCode);
        Assert.Equal("OOMKilled", status.LastState.Terminated.Reason);
        Assert.NotEqual(pid, await cluster.PidOfAsync(restarted));
        var previous = await cluster.KubectlAsync("logs", "-n", "runai", pod.Name(), "--previous");
        Assert.Contains($"stand-in pid {pid} listening", previous.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheServiceProxyTheStablePortAndDiscoveryReachTheProcess()
    {
        await cluster.DeployAsync("metrics-demo");
        var pod = (await cluster.ReadyPodsAsync("metrics-demo", 1))[0];
        var pid = await cluster.PidOfAsync(pod);

        var proxied = await ComponentClusterFixture.EventuallyAsync(async () =>
        {
            var r = await cluster.KubectlAsync("get", "--raw", "/api/v1/namespaces/runai/services/metrics-demo:metrics/proxy/metrics");
            return r.ExitCode == 0 ? r.Stdout : null;
        }, "the service proxy to answer");
        Assert.Contains($"standin_pid {pid}", proxied, StringComparison.Ordinal);

        var url = cluster.Cluster.ServiceUrls["runai/metrics-demo:metrics"];
        using var http = new HttpClient();
        Assert.Contains($"standin_pid {pid}", await http.GetStringAsync(url + "/metrics"), StringComparison.Ordinal);

        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var https = new HttpClient(handler);
        var targets = JsonNode.Parse(await https.GetStringAsync(new Uri(cluster.Cluster.ApiUrl, "/sd/pods")))!.AsArray();
        var mine = targets.Single(t => (string?)t!["labels"]!["pod"] == pod.Name())!;
        Assert.Equal("metrics-demo", (string?)mine["labels"]!["component"]);
        Assert.Equal("cpu-node-01", (string?)mine["labels"]!["node"]);
        Assert.Contains($"standin_pid {pid}", await http.GetStringAsync($"http://{mine["targets"]![0]}/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheAuditShowsWhatThePodsIdentityDid()
    {
        await cluster.DeployAsync("audit-demo");
        var pod = (await cluster.ReadyPodsAsync("audit-demo", 1))[0];
        await cluster.Cluster.ApplyAsync(
        [
            JsonNode.Parse("""{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "audit-demo", "namespace": "runai"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]}""")!.AsObject(),
            JsonNode.Parse("""{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "audit-demo", "namespace": "runai"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "audit-demo"}, "subjects": [{"kind": "ServiceAccount", "name": "audit-demo", "namespace": "runai"}]}""")!.AsObject(),
        ]);

        // The pod's own kubeconfig, as the process got it.
        var kubeconfig = Path.Combine(cluster.Cluster.RunDirectory, "pods", $"runai_{pod.Name()}", "kubeconfig");
        using var asPod = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        await asPod.CoreV1.ListNamespacedPodAsync("runai");
        await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => asPod.CoreV1.ListNamespacedSecretAsync("runai"));
        var token = File.ReadAllLines(kubeconfig).Select(l => l.Trim()).Single(l => l.StartsWith("token: ", StringComparison.Ordinal))["token: ".Length..];
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(cluster.Cluster.ApiUrl, "/debug/audit"));
        request.Headers.Authorization = new("Bearer", token);
        using var denied = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, denied.StatusCode);

        var audit = await cluster.KubectlAsync("get", "--raw", "/debug/audit");
        Assert.True(audit.ExitCode == 0, audit.ToString());
        var identity = JsonNode.Parse(audit.Stdout)!["identities"]!.AsArray().Single(i => (string?)i!["user"] == "system:serviceaccount:runai:audit-demo")!;
        var requests = identity["requests"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Contains(requests, r => (string?)r["verb"] == "list" && (string?)r["resource"] == "pods" && (string?)r["namespace"] == "runai" && (long)r["allowed"]! >= 1);
        Assert.Contains(requests, r => (string?)r["verb"] == "list" && (string?)r["resource"] == "secrets" && (long)r["denied"]! == 1 && (long)r["allowed"]! == 0);
        Assert.Contains(requests, r => (string?)r["nonResourceURL"] == "/debug/audit" && (long)r["denied"]! == 1);
    }

    [Fact]
    public async Task DeletingThePodStopsItsProcess()
    {
        await cluster.DeployAsync("delete-demo");
        var pod = (await cluster.ReadyPodsAsync("delete-demo", 1))[0];
        var pid = await cluster.PidOfAsync(pod);

        await cluster.Client.CoreV1.DeleteNamespacedPodAsync(pod.Name(), "runai");

        await ComponentClusterFixture.EventuallyAsync(() => Task.FromResult(!ComponentClusterFixture.IsAlive(pid)), $"pid {pid} to end");
        var logFile = Path.Combine(cluster.Cluster.RunDirectory, "pod-logs", $"runai_{pod.Name()}_main.log");
        await ComponentClusterFixture.EventuallyAsync(async () => (await File.ReadAllTextAsync(logFile)).Contains($"stand-in pid {pid} got SIGTERM", StringComparison.Ordinal),
            "the process to log that it got SIGTERM", seconds: 5);
        // The ReplicaSet replaces it with a new pod and a new process.
        var replacement = (await cluster.ReadyPodsAsync("delete-demo", 1))[0];
        Assert.NotEqual(pod.Name(), replacement.Name());
    }

    [Fact]
    public async Task AnImageWhoseArtifactIsMissingWaitsInImagePullBackOff()
    {
        await cluster.DeployAsync("unbuilt-demo", image: "test/unbuilt:dev");

        var waiting = await ComponentClusterFixture.EventuallyAsync(async () =>
        {
            var pods = await cluster.PodsAsync("unbuilt-demo");
            var state = pods.FirstOrDefault()?.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting;
            return state?.Reason == "ImagePullBackOff" ? state : null;
        }, "ImagePullBackOff");
        Assert.Contains("/nonexistent/unbuilt.pl does not exist", waiting.Message, StringComparison.Ordinal);
        var deploy = await cluster.KubectlAsync("get", "deploy", "-n", "runai", "unbuilt-demo", "--no-headers");
        Assert.Matches(@"^unbuilt-demo\s+0/1\s", deploy.Stdout);
    }
}
