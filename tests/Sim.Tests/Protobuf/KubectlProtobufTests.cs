using System.Text;
using System.Text.Json.Nodes;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Protobuf;

/// <summary>
/// kubectl's typed clients send protobuf bodies; each test creates something through one of them, reads it back as
/// JSON and compares it with what was asked for, so a wrong field number shows up as a wrong or missing field.
/// </summary>
public sealed class KubectlProtobufTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    private async Task<string> Kubectl(params string[] args)
    {
        var result = await cluster.KubectlAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {result}");
        return result.Stdout;
    }

    private async Task<JsonObject> Get(params string[] args) =>
        JsonNode.Parse(await Kubectl([.. args, "-o", "json"]))!.AsObject();

    private async Task Namespace(string name)
    {
        var result = await cluster.KubectlAsync("create", "namespace", name);
        Assert.True(result.ExitCode == 0 || result.Stderr.Contains("AlreadyExists", StringComparison.Ordinal), result.ToString());
    }

    [Fact]
    public async Task CreateConfigMapKeepsLiteralsFilesBinaryDataAndTheSavedConfig()
    {
        await Namespace("proto-cm");
        var dir = Directory.CreateTempSubdirectory();
        var text = Path.Combine(dir.FullName, "settings.ini");
        var binary = Path.Combine(dir.FullName, "blob.bin");
        await File.WriteAllTextAsync(text, "x=1\ny=2\n");
        await File.WriteAllBytesAsync(binary, [0xFF, 0x00, 0xFE, 0x80]);

        await Kubectl("create", "configmap", "settings", "-n", "proto-cm", "--from-literal=mode=fast",
            $"--from-file={text}", $"--from-file=blob={binary}", "--save-config");
        var cm = await Get("get", "configmap", "settings", "-n", "proto-cm");

        Assert.Equal("v1", cm["apiVersion"]!.GetValue<string>());
        Assert.Equal("ConfigMap", cm["kind"]!.GetValue<string>());
        Assert.Equal("proto-cm", cm["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Equal("fast", cm["data"]!["mode"]!.GetValue<string>());
        Assert.Equal("x=1\ny=2\n", cm["data"]!["settings.ini"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String([0xFF, 0x00, 0xFE, 0x80]), cm["binaryData"]!["blob"]!.GetValue<string>());
        var saved = cm["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]!.GetValue<string>();
        Assert.Contains("\"mode\":\"fast\"", saved, StringComparison.Ordinal);
        Assert.Null(cm["immutable"]);
    }

    [Fact]
    public async Task CreateSecretGenericKeepsTypeAndBytes()
    {
        await Namespace("proto-secret");

        await Kubectl("create", "secret", "generic", "creds", "-n", "proto-secret", "--from-literal=password=hunter2",
            "--type=example.com/basic");
        var secret = await Get("get", "secret", "creds", "-n", "proto-secret");

        Assert.Equal("example.com/basic", secret["type"]!.GetValue<string>());
        Assert.Equal("hunter2", Encoding.UTF8.GetString(Convert.FromBase64String(secret["data"]!["password"]!.GetValue<string>())));
    }

    [Fact]
    public async Task CreateNamespaceMakesANamespace()
    {
        await Kubectl("create", "namespace", "proto-ns");

        var ns = await Get("get", "namespace", "proto-ns");

        Assert.Equal("proto-ns", ns["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("Namespace", ns["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateServiceAccountAndTokenForIt()
    {
        await Namespace("proto-sa");
        await Kubectl("create", "serviceaccount", "builder", "-n", "proto-sa");

        var request = JsonNode.Parse(await Kubectl("create", "token", "builder", "-n", "proto-sa", "--duration=15m",
            "--audience=sim-test", "-o", "json"))!;

        var sa = await Get("get", "serviceaccount", "builder", "-n", "proto-sa");
        Assert.Equal("builder", sa["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(900, request["spec"]!["expirationSeconds"]!.GetValue<long>());
        Assert.Equal("sim-test", request["spec"]!["audiences"]![0]!.GetValue<string>());
        var expires = DateTimeOffset.Parse(request["status"]!["expirationTimestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(13), TimeSpan.FromMinutes(16));
        Assert.False(string.IsNullOrEmpty(request["status"]!["token"]!.GetValue<string>()));
    }

    [Fact]
    public async Task CanIAnswersForAServiceAccountBeforeAndAfterARoleBinding()
    {
        await Namespace("proto-rbac");
        var subject = "--as=system:serviceaccount:proto-rbac:reader";

        var before = await cluster.KubectlAsync("auth", "can-i", "list", "pods", subject, "-n", "proto-rbac");
        await Kubectl("create", "role", "pod-reader", "-n", "proto-rbac", "--verb=list,get", "--resource=pods",
            "--resource-name=only-this");
        await Kubectl("create", "role", "pod-lister", "-n", "proto-rbac", "--verb=list", "--resource=pods");
        await Kubectl("create", "rolebinding", "reader-lists", "-n", "proto-rbac", "--role=pod-lister",
            "--serviceaccount=proto-rbac:reader", "--user=jane", "--group=auditors");
        var after = await cluster.KubectlAsync("auth", "can-i", "list", "pods", subject, "-n", "proto-rbac");

        Assert.Equal("no", before.Stdout.Trim());
        Assert.Equal("yes", after.Stdout.Trim());
        var role = await Get("get", "role", "pod-reader", "-n", "proto-rbac");
        var rule = role["rules"]![0]!;
        Assert.Equal(["list", "get"], rule["verbs"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal([""], rule["apiGroups"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(["pods"], rule["resources"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(["only-this"], rule["resourceNames"]!.AsArray().Select(v => v!.GetValue<string>()));
        var binding = await Get("get", "rolebinding", "reader-lists", "-n", "proto-rbac");
        Assert.Equal("Role", binding["roleRef"]!["kind"]!.GetValue<string>());
        Assert.Equal("pod-lister", binding["roleRef"]!["name"]!.GetValue<string>());
        Assert.Equal("rbac.authorization.k8s.io", binding["roleRef"]!["apiGroup"]!.GetValue<string>());
        var subjects = binding["subjects"]!.AsArray().Select(s => $"{s!["kind"]}/{s["namespace"]}/{s["name"]}").Order();
        Assert.Equal(["Group//auditors", "ServiceAccount/proto-rbac/reader", "User//jane"], subjects);
    }

    [Fact]
    public async Task CanIAsksAboutNonResourceUrlsAndSubresources()
    {
        var url = await cluster.KubectlAsync("auth", "can-i", "get", "/healthz");
        var subresource = await cluster.KubectlAsync("auth", "can-i", "get", "pods", "--subresource=log", "-n", "default");

        Assert.Equal("yes", url.Stdout.Trim());
        Assert.Equal("yes", subresource.Stdout.Trim());
    }

    [Fact]
    public async Task WhoAmINamesTheAdmin()
    {
        var output = await Kubectl("auth", "whoami", "-o", "json");

        var review = JsonNode.Parse(output)!;
        Assert.Equal("SelfSubjectReview", review["kind"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(review["status"]!["userInfo"]!["username"]!.GetValue<string>()));
    }

    [Fact]
    public async Task CreateClusterRoleWithAnAggregationRuleAndBindIt()
    {
        await Kubectl("create", "clusterrole", "proto-aggregate", "--aggregation-rule=rbac.example.com/aggregate-to-proto=true");
        await Kubectl("create", "clusterrole", "proto-urls", "--verb=get", "--non-resource-url=/metrics");
        await Kubectl("create", "clusterrolebinding", "proto-urls", "--clusterrole=proto-urls", "--group=system:monitoring");

        var aggregate = await Get("get", "clusterrole", "proto-aggregate");
        var urls = await Get("get", "clusterrole", "proto-urls");
        var binding = await Get("get", "clusterrolebinding", "proto-urls");

        Assert.Equal("true", aggregate["aggregationRule"]!["clusterRoleSelectors"]![0]!["matchLabels"]!["rbac.example.com/aggregate-to-proto"]!.GetValue<string>());
        Assert.Equal("/metrics", urls["rules"]![0]!["nonResourceURLs"]![0]!.GetValue<string>());
        Assert.Equal("ClusterRole", binding["roleRef"]!["kind"]!.GetValue<string>());
        Assert.Equal("system:monitoring", binding["subjects"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePriorityClassKeepsValueDescriptionAndPolicy()
    {
        await Kubectl("create", "priorityclass", "proto-high", "--value=100000", "--description=training jobs first",
            "--preemption-policy=Never");
        await Kubectl("create", "priorityclass", "proto-zero", "--value=0");

        var high = await Get("get", "priorityclass", "proto-high");
        var zero = await Get("get", "priorityclass", "proto-zero");

        Assert.Equal(100000, high["value"]!.GetValue<int>());
        Assert.Equal("training jobs first", high["description"]!.GetValue<string>());
        Assert.Equal("Never", high["preemptionPolicy"]!.GetValue<string>());
        Assert.Equal(0, zero["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task CreateQuotaKeepsHardLimitsAndScopes()
    {
        await Namespace("proto-quota");

        await Kubectl("create", "quota", "gpus", "-n", "proto-quota", "--hard=requests.nvidia.com/gpu=4,pods=10,memory=1Gi",
            "--scopes=NotBestEffort");
        var quota = await Get("get", "resourcequota", "gpus", "-n", "proto-quota");

        Assert.Equal("4", quota["spec"]!["hard"]!["requests.nvidia.com/gpu"]!.GetValue<string>());
        Assert.Equal("10", quota["spec"]!["hard"]!["pods"]!.GetValue<string>());
        Assert.Equal("1Gi", quota["spec"]!["hard"]!["memory"]!.GetValue<string>());
        Assert.Equal("NotBestEffort", quota["spec"]!["scopes"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateServiceClusterIpKeepsPortsAndTargetPorts()
    {
        await Namespace("proto-svc");

        await Kubectl("create", "service", "clusterip", "web", "-n", "proto-svc", "--tcp=80:8080", "--tcp=443:https");
        var svc = await Get("get", "service", "web", "-n", "proto-svc");

        var ports = svc["spec"]!["ports"]!.AsArray();
        Assert.Equal(80, ports[0]!["port"]!.GetValue<int>());
        Assert.Equal(8080, ports[0]!["targetPort"]!.GetValue<int>());
        Assert.Equal(443, ports[1]!["port"]!.GetValue<int>());
        Assert.Equal("https", ports[1]!["targetPort"]!.GetValue<string>());
        Assert.Equal("TCP", ports[0]!["protocol"]!.GetValue<string>());
        Assert.Equal("web", svc["spec"]!["selector"]!["app"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateDeploymentKeepsReplicasImageAndPort()
    {
        await Namespace("proto-deploy");

        await Kubectl("create", "deployment", "trainer", "-n", "proto-deploy", "--image=registry.example/trainer:1.2",
            "--replicas=3", "--port=8080", "--", "python", "train.py");
        var deployment = await Get("get", "deployment", "trainer", "-n", "proto-deploy");

        Assert.Equal(3, deployment["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("trainer", deployment["spec"]!["selector"]!["matchLabels"]!["app"]!.GetValue<string>());
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("registry.example/trainer:1.2", container["image"]!.GetValue<string>());
        Assert.Equal(8080, container["ports"]![0]!["containerPort"]!.GetValue<int>());
        Assert.Equal(["python", "train.py"], container["command"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("trainer", deployment["spec"]!["template"]!["metadata"]!["labels"]!["app"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateJobAndCronJobKeepTheirCommands()
    {
        await Namespace("proto-job");

        await Kubectl("create", "job", "once", "-n", "proto-job", "--image=busybox", "--", "echo", "hi");
        await Kubectl("create", "cronjob", "nightly", "-n", "proto-job", "--image=busybox", "--schedule=0 3 * * *",
            "--restart=OnFailure", "--", "date");
        var job = await Get("get", "job", "once", "-n", "proto-job");
        var cron = await Get("get", "cronjob", "nightly", "-n", "proto-job");

        var jobContainer = job["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal(["echo", "hi"], jobContainer["command"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("Never", job["spec"]!["template"]!["spec"]!["restartPolicy"]!.GetValue<string>());
        Assert.Equal("0 3 * * *", cron["spec"]!["schedule"]!.GetValue<string>());
        Assert.Equal("OnFailure", cron["spec"]!["jobTemplate"]!["spec"]!["template"]!["spec"]!["restartPolicy"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePodDisruptionBudgetKeepsMinAvailable()
    {
        await Namespace("proto-pdb");

        await Kubectl("create", "poddisruptionbudget", "keep-one", "-n", "proto-pdb", "--selector=app=web", "--min-available=50%");
        var pdb = await Get("get", "poddisruptionbudget", "keep-one", "-n", "proto-pdb");

        Assert.Equal("50%", pdb["spec"]!["minAvailable"]!.GetValue<string>());
        Assert.Equal("web", pdb["spec"]!["selector"]!["matchLabels"]!["app"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateIngressKeepsItsRule()
    {
        await Namespace("proto-ing");

        await Kubectl("create", "ingress", "front", "-n", "proto-ing", "--rule=example.com/api*=api:8080");
        var ingress = await Get("get", "ingress", "front", "-n", "proto-ing");

        var rule = ingress["spec"]!["rules"]![0]!;
        Assert.Equal("example.com", rule["host"]!.GetValue<string>());
        var path = rule["http"]!["paths"]![0]!;
        Assert.Equal("/api", path["path"]!.GetValue<string>());
        Assert.Equal("Prefix", path["pathType"]!.GetValue<string>());
        Assert.Equal("api", path["backend"]!["service"]!["name"]!.GetValue<string>());
        Assert.Equal(8080, path["backend"]!["service"]!["port"]!["number"]!.GetValue<int>());
    }
}
