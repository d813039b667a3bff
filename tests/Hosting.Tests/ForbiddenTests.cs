using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Yaml;
using Runai.Hosting.Tests.Support;

namespace Runai.Hosting.Tests;

/// <summary>A replica running as its ServiceAccount with deploy/'s RBAC, and what happens when the binding goes away.</summary>
public sealed class ForbiddenTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private const string Component = RunaiComponents.WorkloadController;
    private const string Forbidden = "runai_controller_api_forbidden_total{component=\"workload-controller\",resource=\"leases\",verb=\"get\"}";

    [Fact]
    public async Task ADeletedBindingGives403sThatAreLoggedAndCountedAndLeadershipReturnsWhenItIsRestored()
    {
        var manifest = KubeYaml.ReadObjectsFromFile(Repo.ComponentManifest(Component));
        await sim.Cluster.ApplyAsync(manifest.Where(o => (string?)o["kind"] is "ServiceAccount" or "ClusterRole" or "ClusterRoleBinding"));
        var kubeconfig = sim.KubeconfigFor(RunaiComponents.Namespace, Component);

        await using var replica = await Replicas.StartAsync(kubeconfig, Component, "rbac-a", Replicas.FastLease);
        await Replicas.LeadsAsync(replica, Component, TimeSpan.FromSeconds(15));
        Assert.Null(await replica.SampleAsync(Forbidden));

        var binding = await sim.Admin.RbacAuthorizationV1.ReadClusterRoleBindingAsync(Component);
        await sim.Admin.RbacAuthorizationV1.DeleteClusterRoleBindingAsync(Component);

        // The leader cannot renew: it stops leading within its renew deadline and says why.
        await Eventually.HoldsAsync(async () => !await replica.LeadsAsync(Component) && await replica.SampleAsync(Forbidden) > 0,
            TimeSpan.FromSeconds(10), () => "the replica stops leading and counts 403s; output:\n" + replica.Output);
        Assert.True(replica.OutputContains("the ServiceAccount lacks RBAC for leases (ClusterRole/ClusterRoleBinding workload-controller)"), replica.Output);
        Assert.True(replica.OutputContains("rbac-a lost the lease runai/workload-controller"), replica.Output);
        var (status, body) = await replica.GetAsync("/readyz");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("403 Forbidden", body);

        // It keeps retrying, so restoring the binding is enough.
        var before = await replica.SampleAsync(Forbidden);
        await Eventually.HoldsAsync(async () => await replica.SampleAsync(Forbidden) > before, TimeSpan.FromSeconds(5), () => "403s keep being counted");
        await sim.Admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = Component },
            RoleRef = binding.RoleRef,
            Subjects = binding.Subjects,
        });
        await Replicas.LeadsAsync(replica, Component, TimeSpan.FromSeconds(10));
        await Replicas.ReadyAsync(replica, "leading as rbac-a", TimeSpan.FromSeconds(5));
        Assert.True(replica.OutputContains("allows the lease requests again"), replica.Output);
    }
}
