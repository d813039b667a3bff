using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using Runai.Core;
using Runai.Core.Yaml;
using Runai.Hosting.Tests.Support;

namespace Runai.Hosting.Tests;

/// <summary>deploy/: every component's objects are there, agree with each other, and a cluster accepts them.</summary>
public sealed class DeployManifestTests(SimFixture sim) : IClassFixture<SimFixture>
{
    public static TheoryData<string> Components => new(RunaiComponents.Deployments);

    private static IReadOnlyList<JsonObject> Objects(string component) => KubeYaml.ReadObjectsFromFile(Repo.ComponentManifest(component));

    private static JsonObject One(IReadOnlyList<JsonObject> objects, string kind)
    {
        var matches = objects.Where(o => (string?)o["kind"] == kind).ToList();
        Assert.True(matches.Count == 1, $"expected one {kind}, found {matches.Count}");
        return matches[0];
    }

    private static string? Str(JsonNode? node, params object[] path)
    {
        foreach (var step in path)
        {
            node = step switch
            {
                string key => node?[key],
                int index => node is JsonArray a && index < a.Count ? a[index] : null,
                _ => null,
            };
        }

        return node?.GetValue<object>()?.ToString();
    }

    [Fact]
    public void TheNamespaceFileHoldsTheRunaiNamespace()
    {
        var ns = KubeYaml.ReadObject(File.ReadAllText(Path.Combine(Repo.DeployDirectory, "runai-namespace.yaml")));
        Assert.Equal("Namespace", (string?)ns["kind"]);
        Assert.Equal(RunaiComponents.Namespace, Str(ns, "metadata", "name"));
    }

    [Fact]
    public void EveryFileUnderComponentsIsAKnownDeploymentComponent()
    {
        var files = Directory.GetFiles(Path.Combine(Repo.DeployDirectory, "components"), "*.yaml")
            .Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        // The Deployments, and the one DaemonSet of the product's own (the other DaemonSets are the seed's stand-ins).
        Assert.Equal(RunaiComponents.Deployments.Append(RunaiComponents.NodeExporter).Order(StringComparer.Ordinal), files);
    }

    /// <summary>Kinds a component may ship beside its six (its webhook registration, its policy ConfigMap, a Role in runai).</summary>
    private static readonly string[] ExtraKinds = ["ConfigMap", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "Role", "RoleBinding"];

    private static readonly string[] SixKinds = ["ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "ServiceAccount", "ServiceMonitor"];

    [Theory]
    [MemberData(nameof(Components))]
    public void EachComponentHasItsSixObjectsNamedAfterIt(string component)
    {
        var objects = Objects(component);
        Assert.Equal(SixKinds, objects.Select(o => (string)o["kind"]!).Where(k => !ExtraKinds.Contains(k)).Order(StringComparer.Ordinal));
        foreach (var o in objects)
        {
            var kind = (string)o["kind"]!;
            Assert.Equal(component, Str(o, "metadata", "labels", RunaiComponents.AppLabel));
            if (!SixKinds.Contains(kind))
            {
                continue;
            }

            Assert.Equal(component, Str(o, "metadata", "name"));
            var expectedNamespace = kind is "ClusterRole" or "ClusterRoleBinding" ? null : RunaiComponents.Namespace;
            Assert.Equal(expectedNamespace, Str(o, "metadata", "namespace"));
        }
    }

    [Theory]
    [MemberData(nameof(Components))]
    public void TheBindingGivesTheRoleToTheComponentsServiceAccount(string component)
    {
        var binding = One(Objects(component), "ClusterRoleBinding");
        Assert.Equal("ClusterRole", Str(binding, "roleRef", "kind"));
        Assert.Equal(component, Str(binding, "roleRef", "name"));
        var subject = Assert.Single(binding["subjects"]!.AsArray());
        Assert.Equal("ServiceAccount", Str(subject, "kind"));
        Assert.Equal(component, Str(subject, "name"));
        Assert.Equal(RunaiComponents.Namespace, Str(subject, "namespace"));
    }

    [Theory]
    [MemberData(nameof(Components))]
    public void TheRoleGrantsTheHostsLeaseAndEventsAndNoWildcards(string component)
    {
        var rules = One(Objects(component), "ClusterRole")["rules"]!.AsArray().Select(r => r!.AsObject()).ToList();
        var grants = rules.SelectMany(r =>
            from resource in r["resources"]!.AsArray()
            from verb in r["verbs"]!.AsArray()
            select $"{resource}:{verb}:{string.Join(',', (r["resourceNames"] as JsonArray ?? []).Select(n => (string)n!))}")
            .ToList();
        // What the host needs; each component's own rules come on top and are exercised by its own tests.
        foreach (var needed in new[] { "events:create:", "events:patch:", "leases:create:", $"leases:get:{component}", $"leases:update:{component}" })
        {
            Assert.Contains(needed, grants);
        }

        Assert.DoesNotContain(grants, g => g.Contains('*'));
        Assert.DoesNotContain(grants, g => g.StartsWith("leases:", StringComparison.Ordinal) && !g.StartsWith("leases:create:", StringComparison.Ordinal) && !g.EndsWith(":" + component, StringComparison.Ordinal));
        Assert.All(rules, r => Assert.DoesNotContain("*", (r["apiGroups"] as JsonArray ?? []).Select(g => (string?)g)));
    }

    [Theory]
    [MemberData(nameof(Components))]
    public void TheDeploymentRunsTheComponentUnderItsAccountWithProbesOnTheMetricsPort(string component)
    {
        var deployment = One(Objects(component), "Deployment");
        var spec = deployment["spec"]!;
        Assert.Equal(component, Str(spec, "selector", "matchLabels", RunaiComponents.AppLabel));
        Assert.Equal(component, Str(spec, "template", "metadata", "labels", RunaiComponents.AppLabel));
        var pod = spec["template"]!["spec"]!;
        Assert.Equal(component, Str(pod, "serviceAccountName"));
        Assert.Equal("True", Str(pod, "securityContext", "runAsNonRoot"));

        var container = Assert.Single(pod["containers"]!.AsArray())!;
        var image = component == RunaiComponents.WorkloadExporter ? "runai/exporter:dev" : "runai/controllers:dev";
        Assert.Equal(image, Str(container, "image"));
        var args = container["args"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Equal(["--component", component, "--listen", ":8080"], args.Take(4));
        Assert.Equal("json", args[args.IndexOf("--log-format") + 1]);
        var env = Assert.Single(container["env"]!.AsArray())!;
        Assert.Equal("POD_NAME", Str(env, "name"));
        Assert.Equal("metadata.name", Str(env, "valueFrom", "fieldRef", "fieldPath"));
        var port = container["ports"]!.AsArray().Single(p => Str(p, "name") == "metrics")!;
        Assert.Equal("8080", Str(port, "containerPort"));
        Assert.Equal("/healthz", Str(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("/readyz", Str(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("metrics", Str(container, "readinessProbe", "httpGet", "port"));
        Assert.NotNull(Str(container, "resources", "requests", "cpu"));
        Assert.NotNull(Str(container, "resources", "limits", "memory"));
        Assert.Equal("False", Str(container, "securityContext", "allowPrivilegeEscalation"));
    }

    [Theory]
    [MemberData(nameof(Components))]
    public void TheServiceAndServiceMonitorReachThePodsMetricsPort(string component)
    {
        var objects = Objects(component);
        var service = One(objects, "Service");
        Assert.Equal(component, Str(service, "spec", "selector", RunaiComponents.AppLabel));
        var port = service["spec"]!["ports"]!.AsArray().Single(p => Str(p, "name") == "metrics")!;
        Assert.Equal("8080", Str(port, "port"));
        Assert.Equal("metrics", Str(port, "targetPort"));

        var monitor = One(objects, "ServiceMonitor");
        Assert.Equal("monitoring.coreos.com/v1", Str(monitor, "apiVersion"));
        Assert.Equal(component, Str(monitor, "spec", "selector", "matchLabels", RunaiComponents.AppLabel));
        Assert.Equal(RunaiComponents.Namespace, Str(monitor, "spec", "namespaceSelector", "matchNames", 0));
        Assert.Equal("metrics", Str(monitor, "spec", "endpoints", 0, "port"));
        Assert.Equal("/metrics", Str(monitor, "spec", "endpoints", 0, "path"));
    }

    [Fact]
    public async Task TheClusterAcceptsEveryObjectAndTheRolesAreHeldToTheirOwnLease()
    {
        var objects = KubeYaml.ReadObjectsFromFile(Path.Combine(Repo.DeployDirectory, "runai-namespace.yaml"))
            .Concat(RunaiComponents.Deployments.SelectMany(Objects));
        await sim.Cluster.ApplyAsync(objects);

        foreach (var component in RunaiComponents.Deployments)
        {
            var deployment = await sim.Admin.AppsV1.ReadNamespacedDeploymentAsync(component, RunaiComponents.Namespace);
            Assert.Equal(component, deployment.Spec.Template.Spec.ServiceAccountName);
            var service = await sim.Admin.CoreV1.ReadNamespacedServiceAsync(component, RunaiComponents.Namespace);
            Assert.Contains(service.Spec.Ports, p => p.Name == "metrics" && p.Port == 8080);
        }

        // Least privilege, as the API server enforces it: a component may read its own Lease (absent: 404), not another's.
        using var controller = sim.Cluster.CreateClient(sim.Cluster.IssueServiceAccountToken(RunaiComponents.Namespace, RunaiComponents.WorkloadController));
        var own = await Assert.ThrowsAsync<HttpOperationException>(() =>
            controller.CoordinationV1.ReadNamespacedLeaseAsync(RunaiComponents.WorkloadController, RunaiComponents.Namespace));
        Assert.Equal(HttpStatusCode.NotFound, own.Response.StatusCode);
        var other = await Assert.ThrowsAsync<HttpOperationException>(() =>
            controller.CoordinationV1.ReadNamespacedLeaseAsync(RunaiComponents.Scheduler, RunaiComponents.Namespace));
        Assert.Equal(HttpStatusCode.Forbidden, other.Response.StatusCode);
        var pods = await Assert.ThrowsAsync<HttpOperationException>(() => controller.CoreV1.ListNamespacedPodAsync(RunaiComponents.Namespace));
        Assert.Equal(HttpStatusCode.Forbidden, pods.Response.StatusCode);
    }
}
