using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Api.Defaulting;

namespace Runai.Sim.Tests.Defaulting;

public sealed class DefaulterTests
{
    static ResourceDefinition Def(string group, string plural) => BuiltInResources.Find(group, plural)!;

    static JsonObject Defaulted(string json, string group, string plural)
    {
        var obj = JsonNode.Parse(json)!.AsObject();
        Defaulter.Apply(obj, Def(group, plural));
        return obj;
    }

    static string Str(JsonNode? node) => node!.GetValue<string>();
    static int Int(JsonNode? node) => node!.GetValue<int>();

    const string GpuPod = """
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "train", "namespace": "team-a"},
         "spec": {"containers": [{"name": "main", "image": "nvcr.io/nvidia/pytorch:24.01-py3",
                                  "resources": {"limits": {"nvidia.com/gpu": 2, "memory": "8Gi"}},
                                  "ports": [{"containerPort": 8080}]}]}}
        """;

    [Fact]
    public void PodGetsTheDefaultsARealServerGives()
    {
        var spec = Defaulted(GpuPod, "", "pods")["spec"]!;

        Assert.Equal("Always", Str(spec["restartPolicy"]));
        Assert.Equal("ClusterFirst", Str(spec["dnsPolicy"]));
        Assert.Equal("default-scheduler", Str(spec["schedulerName"]));
        Assert.Equal(30, Int(spec["terminationGracePeriodSeconds"]));
        Assert.Equal("default", Str(spec["serviceAccountName"]));
        Assert.Equal("default", Str(spec["serviceAccount"]));
        Assert.True(spec["enableServiceLinks"]!.GetValue<bool>());
        Assert.Equal(0, Int(spec["priority"]));
        Assert.Equal("PreemptLowerPriority", Str(spec["preemptionPolicy"]));
        var container = spec["containers"]![0]!;
        Assert.Equal("IfNotPresent", Str(container["imagePullPolicy"]));
        Assert.Equal("/dev/termination-log", Str(container["terminationMessagePath"]));
        Assert.Equal("File", Str(container["terminationMessagePolicy"]));
        Assert.Equal("TCP", Str(container["ports"]![0]!["protocol"]));
    }

    [Fact]
    public void ContainerThatOnlyLimitsAResourceRequestsTheSameAmount()
    {
        var resources = Defaulted(GpuPod, "", "pods")["spec"]!["containers"]![0]!["resources"]!;

        Assert.Equal(2, Int(resources["requests"]!["nvidia.com/gpu"]));
        Assert.Equal("8Gi", Str(resources["requests"]!["memory"]));
    }

    [Fact]
    public void ExplicitRequestsAreKeptBelowTheirLimits()
    {
        var resources = Defaulted("""
            {"spec": {"containers": [{"name": "c", "image": "x:1",
              "resources": {"requests": {"cpu": "500m"}, "limits": {"cpu": "2", "nvidia.com/gpu": "1"}}}]}}
            """, "", "pods")["spec"]!["containers"]![0]!["resources"]!;

        Assert.Equal("500m", Str(resources["requests"]!["cpu"]));
        Assert.Equal("1", Str(resources["requests"]!["nvidia.com/gpu"]));
    }

    [Fact]
    public void InitContainersAlsoGetRequestsFromLimits()
    {
        var init = Defaulted("""
            {"spec": {"initContainers": [{"name": "i", "image": "x:1", "resources": {"limits": {"cpu": "1"}}}],
                      "containers": [{"name": "c", "image": "x:1"}]}}
            """, "", "pods")["spec"]!["initContainers"]![0]!;

        Assert.Equal("1", Str(init["resources"]!["requests"]!["cpu"]));
    }

    [Theory]
    [InlineData("busybox", "Always")]
    [InlineData("busybox:latest", "Always")]
    [InlineData("registry.local:5000/team/busybox", "Always")]
    [InlineData("registry.local:5000/team/busybox:1.36", "IfNotPresent")]
    [InlineData("nvcr.io/nvidia/pytorch:24.01-py3", "IfNotPresent")]
    [InlineData("busybox@sha256:0123456789abcdef", "IfNotPresent")]
    public void ImagePullPolicyFollowsTheTag(string image, string policy)
    {
        Assert.Equal(policy, Defaulter.PullPolicyFor(image));
    }

    [Fact]
    public void ExplicitPodFieldsAreNotOverwritten()
    {
        var spec = Defaulted("""
            {"spec": {"restartPolicy": "Never", "schedulerName": "runai-scheduler", "serviceAccountName": "trainer",
                      "priorityClassName": "system-node-critical",
                      "containers": [{"name": "c", "image": "x", "imagePullPolicy": "Never"}]}}
            """, "", "pods")["spec"]!;

        Assert.Equal("Never", Str(spec["restartPolicy"]));
        Assert.Equal("runai-scheduler", Str(spec["schedulerName"]));
        Assert.Equal("trainer", Str(spec["serviceAccount"]));
        Assert.Equal(2_000_001_000, Int(spec["priority"]));
        Assert.Equal("Never", Str(spec["containers"]![0]!["imagePullPolicy"]));
    }

    [Fact]
    public void PodToleratesNotReadyAndUnreachableNodesForFiveMinutes()
    {
        var tolerations = Defaulted(GpuPod, "", "pods")["spec"]!["tolerations"]!.AsArray();

        Assert.Equal(["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"], tolerations.Select(t => Str(t!["key"])));
        Assert.All(tolerations, t => Assert.Equal(300, Int(t!["tolerationSeconds"])));
    }

    [Fact]
    public void PodStartsPendingWithItsQosClass()
    {
        var status = Defaulted(GpuPod, "", "pods")["status"]!;

        Assert.Equal("Pending", Str(status["phase"]));
        Assert.Equal("Burstable", Str(status["qosClass"]));
    }

    [Theory]
    [InlineData("""{"containers": [{"name": "c"}]}""", "BestEffort")]
    [InlineData("""{"containers": [{"name": "c", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1000m", "memory": "1Gi"}}}]}""", "Guaranteed")]
    [InlineData("""{"containers": [{"name": "c", "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}}]}""", "Burstable")]
    [InlineData("""{"containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}""", "BestEffort")]
    public void QosClassFollowsCpuAndMemory(string spec, string qos)
    {
        Assert.Equal(qos, Defaulter.QosClass(JsonNode.Parse(spec)!.AsObject()));
    }

    [Fact]
    public void DeploymentGetsRolloutDefaultsAndItsTemplateThePodSpecDefaults()
    {
        var deployment = Defaulted("""
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
             "spec": {"selector": {"matchLabels": {"app": "d"}},
                      "template": {"metadata": {"labels": {"app": "d"}},
                                   "spec": {"containers": [{"name": "c", "image": "x", "resources": {"limits": {"nvidia.com/gpu": 1}}}]}}}}
            """, "apps", "deployments");
        var spec = deployment["spec"]!;

        Assert.Equal(1, Int(spec["replicas"]));
        Assert.Equal("RollingUpdate", Str(spec["strategy"]!["type"]));
        Assert.Equal("25%", Str(spec["strategy"]!["rollingUpdate"]!["maxUnavailable"]));
        Assert.Equal("25%", Str(spec["strategy"]!["rollingUpdate"]!["maxSurge"]));
        Assert.Equal(10, Int(spec["revisionHistoryLimit"]));
        Assert.Equal(600, Int(spec["progressDeadlineSeconds"]));
        var podSpec = spec["template"]!["spec"]!;
        Assert.Equal("Always", Str(podSpec["restartPolicy"]));
        Assert.Equal("Always", Str(podSpec["containers"]![0]!["imagePullPolicy"]));
        // As on a real server, the pod-only defaults wait for the pods themselves.
        Assert.Null(podSpec["serviceAccountName"]);
        Assert.Null(podSpec["containers"]![0]!["resources"]!["requests"]);
        Assert.Null(spec["template"]!["status"]);
    }

    [Fact]
    public void RecreateDeploymentGetsNoRollingUpdateParameters()
    {
        var strategy = Defaulted("""{"spec": {"strategy": {"type": "Recreate"}, "template": {"spec": {"containers": []}}}}""",
            "apps", "deployments")["spec"]!["strategy"]!;

        Assert.Null(strategy["rollingUpdate"]);
    }

    [Fact]
    public void JobGetsBackoffCompletionsParallelismAndCompletionMode()
    {
        var job = Defaulted("""
            {"metadata": {"name": "j"},
             "spec": {"template": {"metadata": {"labels": {"app": "j"}}, "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x:1"}]}}}}
            """, "batch", "jobs");
        var spec = job["spec"]!;

        Assert.Equal(6, Int(spec["backoffLimit"]));
        Assert.Equal(1, Int(spec["completions"]));
        Assert.Equal(1, Int(spec["parallelism"]));
        Assert.Equal("NonIndexed", Str(spec["completionMode"]));
        Assert.Equal("Never", Str(spec["template"]!["spec"]!["restartPolicy"]));
        Assert.Equal("j", Str(job["metadata"]!["labels"]!["app"]));
    }

    [Fact]
    public void ParallelJobWithoutCompletionsKeepsCompletionsUnset()
    {
        var spec = Defaulted("""{"spec": {"parallelism": 4, "template": {"spec": {"containers": []}}}}""", "batch", "jobs")["spec"]!;

        Assert.Null(spec["completions"]);
        Assert.Equal(4, Int(spec["parallelism"]));
    }

    [Theory]
    [InlineData("apps", "replicasets")]
    [InlineData("apps", "daemonsets")]
    [InlineData("apps", "statefulsets")]
    public void OtherWorkloadTemplatesGetPodSpecDefaults(string group, string plural)
    {
        var spec = Defaulted("""{"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}}}""", group, plural)["spec"]!;

        Assert.Equal("ClusterFirst", Str(spec["template"]!["spec"]!["dnsPolicy"]));
        if (plural != "daemonsets") Assert.Equal(1, Int(spec["replicas"]));
        if (plural != "replicasets") Assert.Equal(10, Int(spec["revisionHistoryLimit"]));
    }

    [Fact]
    public void CronJobTemplateInsideItsJobTemplateGetsPodSpecDefaults()
    {
        var spec = Defaulted("""{"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}}""",
            "batch", "cronjobs")["spec"]!;

        Assert.Equal("Allow", Str(spec["concurrencyPolicy"]));
        Assert.Equal(3, Int(spec["successfulJobsHistoryLimit"]));
        Assert.Equal("default-scheduler", Str(spec["jobTemplate"]!["spec"]!["template"]!["spec"]!["schedulerName"]));
    }

    [Fact]
    public void ServiceGetsTypeAffinityProtocolAndTargetPort()
    {
        var spec = Defaulted("""
            {"spec": {"selector": {"app": "exporter"}, "ports": [{"name": "metrics", "port": 9400}, {"port": 80, "targetPort": "http"}]}}
            """, "", "services")["spec"]!;

        Assert.Equal("ClusterIP", Str(spec["type"]));
        Assert.Equal("None", Str(spec["sessionAffinity"]));
        Assert.Equal("TCP", Str(spec["ports"]![0]!["protocol"]));
        Assert.Equal(9400, Int(spec["ports"]![0]!["targetPort"]));
        Assert.Equal("http", Str(spec["ports"]![1]!["targetPort"]));
    }

    [Fact]
    public void NamespaceIsActiveWithTheKubernetesFinalizerAndItsNameLabel()
    {
        var ns = Defaulted("""{"metadata": {"name": "runai", "labels": {"kubernetes.io/metadata.name": "wrong"}}}""", "", "namespaces");

        Assert.Equal(["kubernetes"], ns["spec"]!["finalizers"]!.AsArray().Select(f => Str(f)));
        Assert.Equal("Active", Str(ns["status"]!["phase"]));
        Assert.Equal("runai", Str(ns["metadata"]!["labels"]!["kubernetes.io/metadata.name"]));
    }

    static readonly ResourceDefinition Trainer = new()
    {
        Group = "run.ai",
        Version = "v2alpha1",
        Kind = "TrainingWorkload",
        Plural = "trainingworkloads",
        Namespaced = true,
        Schema = JsonNode.Parse("""
            {"type": "object", "properties": {
               "spec": {"type": "object", "default": {}, "properties": {
                  "gpus": {"type": "integer", "default": 1},
                  "priority": {"type": "string", "default": "train"},
                  "nullableNote": {"type": "string", "nullable": true, "default": "n"},
                  "policy": {"type": "object", "properties": {"retries": {"type": "integer", "default": 3}}},
                  "workers": {"type": "array", "items": {"type": "object", "properties": {"port": {"type": "integer", "default": 29500}}}},
                  "labels": {"type": "object", "additionalProperties": {"type": "object", "properties": {"weight": {"type": "integer", "default": 5}}}}}}}}
            """)!.AsObject(),
    };

    [Fact]
    public void CustomResourceGetsItsSchemaDefaultsWhereFieldsAreAbsent()
    {
        var obj = JsonNode.Parse("""
            {"spec": {"priority": "build", "policy": {}, "workers": [{}, {"port": 1}], "labels": {"a": {}}, "nullableNote": null}}
            """)!.AsObject();

        Defaulter.Apply(obj, Trainer);
        var spec = obj["spec"]!;

        Assert.Equal(1, Int(spec["gpus"]));
        Assert.Equal("build", Str(spec["priority"]));
        Assert.Equal(3, Int(spec["policy"]!["retries"]));
        Assert.Equal(29500, Int(spec["workers"]![0]!["port"]));
        Assert.Equal(1, Int(spec["workers"]![1]!["port"]));
        Assert.Equal(5, Int(spec["labels"]!["a"]!["weight"]));
        Assert.Null(spec["nullableNote"]);
    }

    [Fact]
    public void DefaultsApplyInsideADefaultedObject()
    {
        var obj = new JsonObject();

        Defaulter.Apply(obj, Trainer);

        Assert.Equal(1, Int(obj["spec"]!["gpus"]));
        Assert.Equal("train", Str(obj["spec"]!["priority"]));
    }

    public static TheoryData<string, string, string> Samples => new()
    {
        { "", "pods", GpuPod },
        { "", "services", """{"spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}}""" },
        { "", "namespaces", """{"metadata": {"name": "runai"}}""" },
        { "apps", "deployments", """{"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x", "livenessProbe": {"httpGet": {"port": 8080}}}]}}}}""" },
        { "apps", "statefulsets", """{"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}}""" },
        { "apps", "daemonsets", """{"spec": {"template": {"spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 9400}]}]}}}}""" },
        { "batch", "jobs", """{"spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}}""" },
        { "batch", "cronjobs", """{"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}}""" },
        { "apiextensions.k8s.io", "customresourcedefinitions", """{"spec": {"names": {"kind": "MPIJob"}}}""" },
        { "admissionregistration.k8s.io", "mutatingwebhookconfigurations", """{"webhooks": [{"name": "w", "clientConfig": {"service": {"name": "s", "namespace": "n"}}, "rules": [{}]}]}""" },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void DefaultingTwiceChangesNothingMore(string group, string plural, string json)
    {
        var once = Defaulted(json, group, plural);
        var twice = once.DeepClone().AsObject();

        Defaulter.Apply(twice, Def(group, plural));

        Assert.True(JsonNode.DeepEquals(once, twice), $"{once.ToJsonString()}\n!=\n{twice.ToJsonString()}");
        Assert.False(JsonNode.DeepEquals(JsonNode.Parse(json), once));
    }

    [Fact]
    public void CustomResourceDefaultingIsIdempotent()
    {
        var once = new JsonObject();
        Defaulter.Apply(once, Trainer);
        var twice = once.DeepClone().AsObject();
        Defaulter.Apply(twice, Trainer);

        Assert.True(JsonNode.DeepEquals(once, twice));
    }

    [Fact]
    public void CrdNamesGetSingularAndListKind()
    {
        var names = Defaulted("""{"spec": {"names": {"kind": "MPIJob", "plural": "mpijobs"}}}""", "apiextensions.k8s.io", "customresourcedefinitions")["spec"]!["names"]!;

        Assert.Equal("mpijob", Str(names["singular"]));
        Assert.Equal("MPIJobList", Str(names["listKind"]));
    }

    [Fact]
    public void HostNetworkPodsExposeContainerPortsOnTheHost()
    {
        var port = Defaulted("""{"spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 9400}]}]}}""",
            "", "pods")["spec"]!["containers"]![0]!["ports"]![0]!;

        Assert.Equal(9400, Int(port["hostPort"]));
    }
}
