using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Runai.NodeDaemon.Attribution.PodResources;

namespace Runai.NodeDaemon.Attribution;

/// <summary>A container holding GPUs, as the kubelet lists it.</summary>
internal sealed record ContainerGpus(string Namespace, string Pod, string Container, IReadOnlyList<string> DeviceIds);

/// <summary>
/// Reads the kubelet's pod-resources API (<c>v1.PodResourcesLister/List</c>) over its unix socket: which container
/// of which pod holds which <c>nvidia.com/gpu</c> device (GPU UUIDs, or MIG device UUIDs).
/// </summary>
internal sealed class PodResourcesReader : IDisposable
{
    public const string DefaultSocket = "/var/lib/kubelet/pod-resources/kubelet.sock";
    public const string GpuResource = "nvidia.com/gpu";
    private readonly GrpcChannel channel;
    private readonly PodResourcesLister.PodResourcesListerClient client;

    public PodResourcesReader(string socketPath)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // The authority is not used on a unix socket; gRPC only needs a well-formed http:// address.
        channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        client = new PodResourcesLister.PodResourcesListerClient(channel);
    }

    public string SocketPath { get; }

    /// <summary>Every container holding GPUs now. Throws <see cref="RpcException"/> when the kubelet does not answer.</summary>
    public async Task<IReadOnlyList<ContainerGpus>> ListAsync(TimeSpan timeout, CancellationToken ct)
    {
        var response = await client.ListAsync(new ListPodResourcesRequest(), deadline: DateTime.UtcNow + timeout, cancellationToken: ct).ConfigureAwait(false);
        var result = new List<ContainerGpus>();
        foreach (var pod in response.PodResources)
        {
            foreach (var container in pod.Containers)
            {
                var ids = container.Devices.Where(d => d.ResourceName == GpuResource).SelectMany(d => d.DeviceIds).ToList();
                if (ids.Count > 0) result.Add(new ContainerGpus(pod.Namespace, pod.Name, container.Name, ids));
            }
        }
        return result;
    }

    public void Dispose() => channel.Dispose();
}
