using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Runai.Sim.Kubelet.PodResources;
using Proto = Runai.Sim.Kubelet.PodResources;

namespace Runai.Sim.Kubelet;

/// <summary>What one node's pod-resources endpoint reports.</summary>
internal interface INodeResources
{
    string NodeName { get; }
    IReadOnlyList<GpuDevice> Gpus { get; }
    int CpuCount { get; }
    /// <summary>The pods the kubelet runs (admitted, not finished) and the devices each container holds.</summary>
    IReadOnlyList<(string Namespace, string Name, IReadOnlyList<string> Containers, PodDevices? Devices)> ActivePods();
}

/// <summary>
/// Serves the kubelet's <c>v1.PodResourcesLister</c> for every simulated node, each on its own unix socket
/// <c>&lt;dir&gt;/&lt;node&gt;/pod-resources/kubelet.sock</c> as a real kubelet does. One Kestrel listens on all
/// the sockets (eight web hosts would cost eight DI containers and thread pools on a small machine); the socket
/// a request arrived on tells which node it asks about.
/// </summary>
internal sealed class PodResourcesServer(IReadOnlyList<INodeResources> nodes, string socketDirectory, ILoggerFactory loggers) : IAsyncDisposable
{
    private WebApplication? app;

    public static string SocketPath(string socketDirectory, string node) => Path.Combine(socketDirectory, node, "pod-resources", "kubelet.sock");

    public async Task StartAsync(CancellationToken ct)
    {
        var byPath = new Dictionary<string, INodeResources>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            var path = Path.GetFullPath(SocketPath(socketDirectory, node.NodeName));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // A socket file left by an earlier run would make the bind fail.
            if (File.Exists(path)) File.Delete(path);
            byPath[path] = node;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Replace(ServiceDescriptor.Singleton(loggers));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var (path, node) in byPath)
            {
                kestrel.ListenUnixSocket(path, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    // Accepted unix sockets carry no local path, so each listener tags its connections with its node.
                    listen.Use(next => connection =>
                    {
                        connection.Features.Set(new NodeFeature(node));
                        return next(connection);
                    });
                });
            }
        });
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<NodeDirectory>();
        app = builder.Build();
        app.MapGrpcService<PodResourcesService>();
        await app.StartAsync(ct).ConfigureAwait(false);
        loggers.CreateLogger<PodResourcesServer>().LogInformation("Pod-resources API listening for {Count} nodes under {Directory}", byPath.Count, socketDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        if (app is null) return;
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        app = null;
    }
}

/// <summary>The node whose socket a connection came in on.</summary>
internal sealed record NodeFeature(INodeResources Node);

/// <summary>Which node a call is about: the one whose socket it arrived on.</summary>
internal sealed class NodeDirectory
{
    public INodeResources Resolve(ServerCallContext context) =>
        context.GetHttpContext().Features.Get<NodeFeature>()?.Node
        ?? throw new RpcException(new Status(StatusCode.Internal, "the connection did not arrive on a simulated node's pod-resources socket"));
}

/// <summary>The pod-resources service of one node (chosen per connection).</summary>
internal sealed class PodResourcesService(NodeDirectory directory) : PodResourcesLister.PodResourcesListerBase
{
    public override Task<ListPodResourcesResponse> List(ListPodResourcesRequest request, ServerCallContext context)
    {
        var node = directory.Resolve(context);
        var response = new ListPodResourcesResponse();
        response.PodResources.AddRange(node.ActivePods().Select(ToProto));
        return Task.FromResult(response);
    }

    public override Task<GetPodResourcesResponse> Get(GetPodResourcesRequest request, ServerCallContext context)
    {
        var node = directory.Resolve(context);
        var pod = node.ActivePods().FirstOrDefault(p => p.Name == request.PodName && p.Namespace == request.PodNamespace);
        if (pod.Name is null)
        {
            // The kubelet's own wording for an unknown pod.
            throw new RpcException(new Status(StatusCode.Unknown, $"pod {request.PodName} not found in {request.PodNamespace}"));
        }
        return Task.FromResult(new GetPodResourcesResponse { PodResources = ToProto(pod) });
    }

    public override Task<AllocatableResourcesResponse> GetAllocatableResources(AllocatableResourcesRequest request, ServerCallContext context)
    {
        var node = directory.Resolve(context);
        var response = new AllocatableResourcesResponse();
        // The device manager reports each device on its own, with the NUMA node it sits on (one NUMA node here).
        response.Devices.AddRange(node.Gpus.Select(g => Devices([g.Uuid])));
        response.CpuIds.AddRange(Enumerable.Range(0, node.CpuCount).Select(i => (long)i));
        return Task.FromResult(response);
    }

    private static Proto.PodResources ToProto((string Namespace, string Name, IReadOnlyList<string> Containers, PodDevices? Devices) pod)
    {
        var result = new Proto.PodResources { Name = pod.Name, Namespace = pod.Namespace };
        foreach (var container in pod.Containers)
        {
            var resources = new ContainerResources { Name = container };
            if (pod.Devices?.Containers.TryGetValue(container, out var ids) == true && ids.Count > 0)
            {
                resources.Devices.Add(Devices(ids));
            }
            result.Containers.Add(resources);
        }
        return result;
    }

    private static ContainerDevices Devices(IEnumerable<string> ids)
    {
        var devices = new ContainerDevices { ResourceName = GpuAllocator.ResourceName, Topology = new TopologyInfo() };
        devices.DeviceIds.AddRange(ids);
        devices.Topology.Nodes.Add(new NUMANode { ID = 0 });
        return devices;
    }
}
