using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Runai.Sim.Operators.Internal;

namespace Runai.Sim.Kubelet;

/// <summary>One simulated GPU of a node, as the NVIDIA device plugin advertises it.</summary>
internal sealed record GpuDevice(int Index, string Uuid);

/// <summary>
/// The whole-GPU allocations of one node, as the NVIDIA device plugin and the kubelet's device manager keep them:
/// devices go to a pod's containers (by their <c>nvidia.com/gpu</c> request) when the pod is admitted and come
/// back when it ends. Fractional and shared GPUs (Run:ai fractions, time-slicing, MIG) are not modelled yet.
/// </summary>
internal sealed class GpuAllocator
{
    public const string ResourceName = "nvidia.com/gpu";
    private readonly Dictionary<string, PodDevices> byPod = new();

    public GpuAllocator(string nodeName, int gpus)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(gpus);
        NodeName = nodeName;
        Devices = Enumerable.Range(0, gpus).Select(i => new GpuDevice(i, UuidOf(nodeName, i))).ToList();
    }

    public string NodeName { get; }
    public IReadOnlyList<GpuDevice> Devices { get; }

    /// <summary>A GPU UUID that is the same every run: <c>GPU-</c> and a GUID hashed from node name and index.</summary>
    public static string UuidOf(string nodeName, int index)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{nodeName}/gpu/{index}"));
        return "GPU-" + new Guid(hash.AsSpan(0, 16)).ToString("D");
    }

    public IReadOnlyCollection<string> Free =>
        Devices.Select(d => d.Uuid).Except(byPod.Values.SelectMany(p => p.Containers.Values.SelectMany(v => v))).ToList();

    /// <summary>The devices a pod holds, per container name; null when it holds none.</summary>
    public PodDevices? Of(string podUid) => byPod.GetValueOrDefault(podUid);

    public IReadOnlyCollection<PodDevices> Allocations => byPod.Values;

    /// <summary>
    /// Gives a pod's containers their devices (lowest free first), or answers why it cannot: the device
    /// manager's admission error text. Allocating a pod that already holds devices answers what it holds.
    /// </summary>
    public (PodDevices? Devices, string? Error) Allocate(V1Pod pod)
    {
        var uid = pod.Metadata?.Uid ?? throw new ArgumentException("pod has no metadata.uid", nameof(pod));
        if (byPod.TryGetValue(uid, out var existing)) return (existing, null);
        var wanted = (pod.Spec?.Containers ?? []).Select(c => (c.Name, Count: Requested(c))).Where(c => c.Count > 0).ToList();
        var total = wanted.Sum(w => w.Count);
        if (total == 0) return (null, null);
        var free = Devices.Select(d => d.Uuid).Where(Free.Contains).ToList();
        if (total > free.Count)
        {
            return (null, $"Allocate failed due to requested number of devices unavailable for {ResourceName}. Requested: {total}, Available: {free.Count}, which is unexpected");
        }
        var containers = new Dictionary<string, IReadOnlyList<string>>();
        var next = 0;
        foreach (var (name, count) in wanted)
        {
            containers[name] = free.Skip(next).Take(count).ToList();
            next += count;
        }
        var devices = new PodDevices(uid, pod.Metadata?.NamespaceProperty ?? "", pod.Metadata?.Name ?? "", containers);
        byPod[uid] = devices;
        return (devices, null);
    }

    public bool Release(string podUid) => byPod.Remove(podUid);

    /// <summary>Whole GPUs a container asks for: its request, or its limit when only the limit is set.</summary>
    public static int Requested(V1Container container)
    {
        var value = Quantities.Requested(container, ResourceName);
        if (value != decimal.Truncate(value) || value < 0)
        {
            throw new FormatException($"container {container.Name} requests {ResourceName}: {value}, which is not a whole number of GPUs");
        }
        return (int)value;
    }
}

/// <summary>The GPUs one pod holds on its node, per container.</summary>
internal sealed record PodDevices(string PodUid, string Namespace, string Name, IReadOnlyDictionary<string, IReadOnlyList<string>> Containers);
