using System.Globalization;
using System.Text.Json;
using Runai.NodeDaemon.Gpus;

namespace Runai.NodeDaemon.Kube;

/// <summary>One GPU as the node labels describe it.</summary>
internal sealed record GpuInventoryEntry(int Index, string Uuid, string Model, ulong MemoryTotalBytes);

/// <summary>
/// The node's GPU feature labels (<c>nvidia.com/gpu.product</c>, <c>.count</c>, <c>.memory</c> in MiB) as GPU
/// feature discovery would set them from what the driver reports, and the merge patch that makes a node's labels
/// say so. Pure; touches no other label.
/// </summary>
internal static class NodeGpuLabels
{
    public const string Product = "nvidia.com/gpu.product";
    public const string Count = "nvidia.com/gpu.count";
    public const string Memory = "nvidia.com/gpu.memory";

    /// <summary>
    /// The labels the GPUs call for; null while not every GPU's model and memory are known yet (a lost GPU keeps
    /// what was read before it was lost, so it still counts).
    /// </summary>
    public static IReadOnlyDictionary<string, string>? Desired(IReadOnlyList<GpuInventoryEntry> gpus)
    {
        if (gpus.Count == 0 || gpus.Any(g => g.Model.Length == 0 || g.MemoryTotalBytes == 0)) return null;
        // GPU feature discovery labels the first GPU's model, spaces as dashes (NVIDIA H200 → NVIDIA-H200), and
        // its memory; a mixed node is rare and the smallest memory is the safe figure to schedule by.
        return new Dictionary<string, string>
        {
            [Product] = gpus[0].Model.Trim().Replace(' ', '-'),
            [Count] = gpus.Count.ToString(CultureInfo.InvariantCulture),
            [Memory] = (gpus.Min(g => g.MemoryTotalBytes) >> 20).ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The merge patch that sets <paramref name="desired"/> on a node now labelled <paramref name="current"/>; null when nothing differs.</summary>
    public static byte[]? Patch(IReadOnlyDictionary<string, string> current, IReadOnlyDictionary<string, string> desired)
    {
        var changed = desired.Where(kv => !current.TryGetValue(kv.Key, out var v) || v != kv.Value).ToList();
        if (changed.Count == 0) return null;
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteStartObject("labels");
            foreach (var (key, value) in changed.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(key, value);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>A node object's labels.</summary>
    public static Dictionary<string, string> LabelsOf(JsonElement node)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in l.EnumerateObject()) labels[p.Name] = p.Value.GetString() ?? "";
        }
        return labels;
    }

    /// <summary>The inventory of GPUs as a source last saw them.</summary>
    public static IReadOnlyList<GpuInventoryEntry> Inventory(IReadOnlyList<GpuState> gpus) =>
        gpus.Select(g => new GpuInventoryEntry(g.Index, g.Uuid, g.Model, g.MemoryTotalBytes)).ToList();
}
