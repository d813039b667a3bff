using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Sim.Kubelet;
using Runai.Sim.Kubelet.PodResources;

namespace Runai.Sim.Tests.Kubelet;

public sealed class PodResourcesServerTests : IAsyncLifetime
{
    private readonly string directory = Directory.CreateTempSubdirectory("podres-").FullName;
    private readonly FakeNode first = new("gpu-worker-01", 4);
    private readonly FakeNode second = new("gpu-worker-02", 2);
    private PodResourcesServer? server;

    public async Task InitializeAsync()
    {
        server = new PodResourcesServer([first, second], directory, NullLoggerFactory.Instance);
        await server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (server is not null) await server.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>A gRPC client on a node's kubelet socket, as dcgm-exporter or our node exporter would make it.</summary>
    private PodResourcesLister.PodResourcesListerClient Client(string node)
    {
        var socket = PodResourcesServer.SocketPath(directory, node);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        };
        var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
        return new PodResourcesLister.PodResourcesListerClient(channel);
    }

    [Fact]
    public void EachNodeListensOnItsOwnKubeletSocket()
    {
        Assert.True(File.Exists(Path.Combine(directory, "gpu-worker-01", "pod-resources", "kubelet.sock")));
        Assert.True(File.Exists(Path.Combine(directory, "gpu-worker-02", "pod-resources", "kubelet.sock")));
    }

    [Fact]
    public async Task ListShowsEachPodsContainersWithTheirGpuDeviceIds()
    {
        var devices = first.Allocator.Allocate(Operators.Support.TestObjects.Pod("trainer", ns: "my-project", gpus: 2)).Devices;
        first.Pods.Add(("my-project", "trainer", ["main"], devices));
        first.Pods.Add(("default", "cpu-only", ["app", "sidecar"], null));

        var response = await Client("gpu-worker-01").ListAsync(new ListPodResourcesRequest());

        Assert.Equal(2, response.PodResources.Count);
        var trainer = response.PodResources.Single(p => p.Name == "trainer");
        Assert.Equal("my-project", trainer.Namespace);
        var container = Assert.Single(trainer.Containers);
        var gpus = Assert.Single(container.Devices);
        Assert.Equal("nvidia.com/gpu", gpus.ResourceName);
        Assert.Equal([GpuAllocator.UuidOf("gpu-worker-01", 0), GpuAllocator.UuidOf("gpu-worker-01", 1)], gpus.DeviceIds);
        var cpuOnly = response.PodResources.Single(p => p.Name == "cpu-only");
        Assert.Equal(["app", "sidecar"], cpuOnly.Containers.Select(c => c.Name));
        Assert.All(cpuOnly.Containers, c => Assert.Empty(c.Devices));
    }

    [Fact]
    public async Task EachSocketAnswersForItsOwnNodeOnly()
    {
        first.Pods.Add(("default", "on-first", ["main"], null));

        var onSecond = await Client("gpu-worker-02").ListAsync(new ListPodResourcesRequest());
        var allocatable = await Client("gpu-worker-02").GetAllocatableResourcesAsync(new AllocatableResourcesRequest());

        Assert.Empty(onSecond.PodResources);
        Assert.Equal([GpuAllocator.UuidOf("gpu-worker-02", 0), GpuAllocator.UuidOf("gpu-worker-02", 1)], allocatable.Devices.SelectMany(d => d.DeviceIds));
    }

    [Fact]
    public async Task AllocatableResourcesListEveryGpuAndCpu()
    {
        var response = await Client("gpu-worker-01").GetAllocatableResourcesAsync(new AllocatableResourcesRequest());

        Assert.Equal(4, response.Devices.Count);
        Assert.All(response.Devices, d => Assert.Equal("nvidia.com/gpu", d.ResourceName));
        Assert.All(response.Devices, d => Assert.Equal(0, Assert.Single(d.Topology.Nodes).ID));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), response.CpuIds);
    }

    [Fact]
    public async Task GetAnswersOnePodOrNotFound()
    {
        first.Pods.Add(("my-project", "trainer", ["main"], null));
        var client = Client("gpu-worker-01");

        var found = await client.GetAsync(new GetPodResourcesRequest { PodName = "trainer", PodNamespace = "my-project" });
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await client.GetAsync(new GetPodResourcesRequest { PodName = "ghost", PodNamespace = "my-project" }));

        Assert.Equal("trainer", found.PodResources.Name);
        Assert.Contains("pod ghost not found in my-project", missing.Status.Detail);
    }

    private sealed class FakeNode(string name, int gpus) : INodeResources
    {
        public GpuAllocator Allocator { get; } = new(name, gpus);
        public List<(string Namespace, string Name, IReadOnlyList<string> Containers, PodDevices? Devices)> Pods { get; } = [];
        public string NodeName => name;
        public IReadOnlyList<GpuDevice> Gpus => Allocator.Devices;
        public int CpuCount => 8;
        public IReadOnlyList<(string Namespace, string Name, IReadOnlyList<string> Containers, PodDevices? Devices)> ActivePods() => Pods.ToList();
    }
}
