using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Sim.Kubelet;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Kubelet;

/// <summary>A fleet of our own on an empty simulated cluster, with simulated time sixty times faster.</summary>
public sealed class KubeletFleetTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>, IAsyncLifetime
{
    private readonly CancellationTokenSource stop = new();
    private KubeletFleet fleet = null!;
    private Task run = Task.CompletedTask;
    private readonly string node = "fast-" + Guid.NewGuid().ToString("N")[..6];
    private readonly string sockets = Directory.CreateTempSubdirectory("fleet-").FullName;

    private IKubernetes Client => cluster.Client;

    public async Task InitializeAsync()
    {
        fleet = new KubeletFleet(cluster.Cluster.CreateClient(), [new SimNodeSpec { Name = node, Gpus = 2, GpuMemoryMiB = 75377 }], sockets,
            NullLoggerFactory.Instance, new AcceleratedTimeProvider(60));
        run = fleet.RunAsync(stop.Token);
        await fleet.Started.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Directory.Delete(sockets, recursive: true);
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, int seconds = 20) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (await probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting until {what}");
            await Task.Delay(100);
        }
    }

    private async Task CreateBoundPodAsync(string name, string restartPolicy, params (string, string)[] annotations) =>
        await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, Annotations = annotations.ToDictionary(a => a.Item1, a => a.Item2) },
            Spec = new V1PodSpec { NodeName = node, RestartPolicy = restartPolicy, Containers = [new V1Container { Name = "main", Image = "busybox:1.36" }] },
        }, "default");

    [Fact]
    public async Task CrashLoopingPodRestartsWithGrowingBackOff()
    {
        await CreateBoundPodAsync("crashy-" + node, "Always", (SimAnnotations.RunSeconds, "1"), (SimAnnotations.ExitCode, "2"));

        // 10 s + 20 s + 40 s of back-off pass in about two real seconds at 60×.
        var pod = await EventuallyAsync(async () =>
        {
            var p = await Client.CoreV1.ReadNamespacedPodAsync("crashy-" + node, "default");
            return p.Status?.ContainerStatuses?.FirstOrDefault()?.RestartCount >= 3 ? p : null;
        }, "the pod has restarted three times");

        Assert.Equal("Running", pod.Status.Phase);
        Assert.Equal(2, pod.Status.ContainerStatuses[0].LastState.Terminated.ExitCode);
    }

    [Fact]
    public async Task NodeThatGoesNotReadyReportsItAndFreezesItsPods()
    {
        await CreateBoundPodAsync("frozen-" + node, "Never", (SimAnnotations.RunSeconds, "120"));
        await EventuallyAsync(async () => (await Client.CoreV1.ReadNamespacedPodAsync("frozen-" + node, "default")).Status?.Phase == "Running" ? "yes" : null, "the pod runs");

        fleet.SetNodeReady(node, false);
        var ready = await EventuallyAsync(async () =>
            (await Client.CoreV1.ReadNodeAsync(node)).Status.Conditions.FirstOrDefault(c => c.Type == "Ready" && c.Status == "False"), "the node reports NotReady");
        await Task.Delay(TimeSpan.FromSeconds(3)); // three simulated minutes: past the pod's run time

        Assert.Equal("KubeletNotReady", ready.Reason);
        Assert.Equal("Running", (await Client.CoreV1.ReadNamespacedPodAsync("frozen-" + node, "default")).Status.Phase);

        fleet.SetNodeReady(node, true);
        await EventuallyAsync(async () => (await Client.CoreV1.ReadNamespacedPodAsync("frozen-" + node, "default")).Status?.Phase == "Succeeded" ? "yes" : null,
            "the pod finishes once the node is back");
    }

    [Fact]
    public async Task PodAskingForMoreGpusThanTheNodeHasIsRejectedAtAdmission()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "greedy-" + node },
            Spec = new V1PodSpec
            {
                NodeName = node,
                Containers = [new V1Container { Name = "main", Image = "cuda:12", Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new("3") } } }],
            },
        }, "default");

        var pod = await EventuallyAsync(async () =>
        {
            var p = await Client.CoreV1.ReadNamespacedPodAsync("greedy-" + node, "default");
            return p.Status?.Phase == "Failed" ? p : null;
        }, "the pod is rejected");

        Assert.Equal("UnexpectedAdmissionError", pod.Status.Reason);
        Assert.Contains("Requested: 3, Available: 2", pod.Status.Message);
    }

    [Fact]
    public void UnknownNodeNameIsRefusedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => fleet.SetNodeReady("no-such-node", false));
        Assert.Contains("no-such-node", e.Message);
    }

    [Fact]
    public void DuplicateNodeNamesAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new KubeletFleet(Client, [new SimNodeSpec { Name = "twin" }, new SimNodeSpec { Name = "twin" }], sockets, NullLoggerFactory.Instance));
        Assert.Contains("twin", e.Message);
    }

    [Fact]
    public void AcceleratedTimeRunsFasterByItsFactor()
    {
        var time = new AcceleratedTimeProvider(100);
        var before = time.GetUtcNow();
        Thread.Sleep(50);

        Assert.True(time.GetUtcNow() - before >= TimeSpan.FromSeconds(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AcceleratedTimeProvider(0.5));
    }
}
