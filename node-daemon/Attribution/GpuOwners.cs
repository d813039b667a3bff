namespace Runai.NodeDaemon.Attribution;

/// <summary>The pod container holding a GPU, and the workload the pod belongs to ("" when it belongs to none).</summary>
internal sealed record GpuOwner(string Namespace, string Pod, string Container, string Workload);

/// <summary>Which pod holds which GPU (by UUID), as of one read of the kubelet; replaced whole, never changed.</summary>
internal sealed class GpuOwners(IReadOnlyDictionary<string, GpuOwner> byUuid)
{
    public static readonly GpuOwners None = new(new Dictionary<string, GpuOwner>());

    public GpuOwner? Of(string uuid) => uuid.Length > 0 && byUuid.TryGetValue(uuid, out var owner) ? owner : null;

    public int Count => byUuid.Count;

    public IReadOnlyDictionary<string, GpuOwner> ByUuid => byUuid;

    /// <summary>True when both say the same: the previous instance is kept then, so cached label sets stay valid.</summary>
    public bool SameAs(GpuOwners other) =>
        byUuid.Count == other.ByUuid.Count && byUuid.All(kv => other.ByUuid.TryGetValue(kv.Key, out var o) && o == kv.Value);
}
