using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Runai.NodeDaemon.Tests.Support;
using Runai.Sim;

namespace Runai.NodeDaemon.Tests;

/// <summary>deploy/components/runai-node-exporter.yaml against the simulated API server and its RBAC.</summary>
public sealed class DeployManifestTests : IAsyncLifetime
{
    private SimCluster cluster = null!;

    public async Task InitializeAsync()
    {
        cluster = await SimCluster.StartAsync(new SimClusterOptions { StartWorkloadSimulation = false });
        var deploy = Path.Combine(NvmlSim.RepoRoot, "deploy");
        await cluster.ApplyManifestsAsync([Path.Combine(deploy, "runai-namespace.yaml"), Path.Combine(deploy, "components", "runai-node-exporter.yaml")]);
    }

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task TheDaemonSetRunsOnGpuNodesWithTheKubeletSocketAndItsNodeName()
    {
        using var admin = cluster.CreateClient();
        var ds = await admin.AppsV1.ReadNamespacedDaemonSetAsync("runai-node-exporter", "runai");
        var pod = ds.Spec.Template.Spec;

        Assert.Equal("runai-node-exporter", pod.ServiceAccountName);
        Assert.Equal("runai-node-exporter", ds.Spec.Template.Metadata.Labels["app"]);
        Assert.Contains(pod.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms,
            t => t.MatchExpressions.Any(e => e.Key == "nvidia.com/gpu.count" && e.OperatorProperty == "Exists"));
        var container = Assert.Single(pod.Containers);
        Assert.Equal("runai/node-daemon:dev", container.Image);
        Assert.Equal("spec.nodeName", container.Env.Single(e => e.Name == "NODE_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metrics", container.Ports.Single().Name);
        var mount = container.VolumeMounts.Single(m => m.Name == "pod-resources");
        Assert.Equal("/var/lib/kubelet/pod-resources", mount.MountPath);
        Assert.Equal("/var/lib/kubelet/pod-resources", pod.Volumes.Single(v => v.Name == "pod-resources").HostPath.Path);
    }

    [Fact]
    public async Task ItsAccountMayReadAndLabelNodesAndReadPodsAndNothingMore()
    {
        using var admin = cluster.CreateClient();
        await admin.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "gpu-1" } });
        await admin.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.36" }] },
        }, "default");
        using var exporter = cluster.CreateClient(cluster.IssueServiceAccountToken("runai", "runai-node-exporter"));

        await exporter.CoreV1.ReadNodeAsync("gpu-1");
        await exporter.CoreV1.PatchNodeAsync(new V1Patch("""{"metadata":{"labels":{"nvidia.com/gpu.count":"4"}}}""", V1Patch.PatchType.MergePatch), "gpu-1");
        await exporter.CoreV1.ReadNamespacedPodAsync("p", "default");

        await Forbidden(() => exporter.CoreV1.ListNodeAsync());
        await Forbidden(() => exporter.CoreV1.ListNamespacedPodAsync("default"));
        await Forbidden(() => exporter.CoreV1.DeleteNodeAsync("gpu-1"));
        await Forbidden(() => exporter.CoreV1.PatchNamespacedPodAsync(new V1Patch("{}", V1Patch.PatchType.MergePatch), "p", "default"));
    }

    private static async Task Forbidden(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
    }
}
