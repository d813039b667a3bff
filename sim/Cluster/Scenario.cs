using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Runai.Core.Yaml;
using Runai.Sim.Kubelet;

namespace Runai.Sim.Cluster;

/// <summary>
/// A scenario file: ordinary Kubernetes objects (multi-document YAML) plus one document of
/// <c>kind: Scenario</c> (apiVersion <c>sim.run.ai/v1alpha1</c>) listing the simulated nodes.
/// A node entry's <c>name</c> may carry a range, <c>gpu-worker-{01..08}</c>, to describe a pool at once.
/// </summary>
internal sealed partial record Scenario(string Name, IReadOnlyList<SimNodeSpec> Nodes, IReadOnlyList<JsonObject> Objects)
{
    public const string ApiVersion = "sim.run.ai/v1alpha1";

    public static Scenario Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"scenario file {path} does not exist", path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    public static Scenario Parse(string yaml, string source = "scenario")
    {
        List<JsonObject> docs;
        try
        {
            docs = [.. KubeYaml.ReadObjects(yaml, source)];
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }

        var nodes = new List<SimNodeSpec>();
        var objects = new List<JsonObject>();
        string name = Path.GetFileNameWithoutExtension(source);
        var sawScenario = false;
        foreach (var doc in docs)
        {
            var obj = doc;

            if ((string?)obj["kind"] == "Scenario")
            {
                if ((string?)obj["apiVersion"] != ApiVersion)
                {
                    throw new InvalidDataException($"{source}: a Scenario document must have apiVersion {ApiVersion}");
                }

                if (sawScenario)
                {
                    throw new InvalidDataException($"{source}: more than one Scenario document");
                }

                sawScenario = true;
                name = (string?)obj["metadata"]?["name"] ?? name;
                foreach (var entry in obj["nodes"] as JsonArray ?? [])
                {
                    nodes.AddRange(ParseNodes(entry as JsonObject ?? throw new InvalidDataException($"{source}: each node entry must be an object"), source));
                }

                continue;
            }

            if (string.IsNullOrEmpty((string?)obj["apiVersion"]) || string.IsNullOrEmpty((string?)obj["kind"]))
            {
                throw new InvalidDataException($"{source}: an object lacks apiVersion or kind: {Truncate(obj.ToJsonString())}");
            }

            objects.Add(obj);
        }

        var duplicate = nodes.GroupBy(n => n.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"{source}: node {duplicate.Key} is listed twice");
        }

        return new Scenario(name, nodes, objects);
    }

    private static IEnumerable<SimNodeSpec> ParseNodes(JsonObject entry, string source)
    {
        var pattern = (string?)entry["name"] ?? throw new InvalidDataException($"{source}: a node entry has no name");
        var labels = (entry["labels"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "") ?? [];
        foreach (var nodeName in Expand(pattern, source))
        {
            yield return new SimNodeSpec
            {
                Name = nodeName,
                Pool = (string?)entry["pool"] ?? "default",
                Gpus = Int(entry, "gpus", 0, source),
                GpuProduct = (string?)entry["gpuProduct"] ?? "NVIDIA-H200",
                GpuMemoryMiB = Int(entry, "gpuMemoryMiB", 0, source),
                Cpu = entry["cpu"]?.ToString() ?? "64",
                Memory = entry["memory"]?.ToString() ?? "1024Gi",
                MaxPods = Int(entry, "maxPods", 110, source),
                Ready = (bool?)entry["ready"] ?? true,
                Labels = labels,
            };
        }
    }

    private static int Int(JsonObject entry, string key, int fallback, string source)
    {
        var node = entry[key];
        if (node is null)
        {
            return fallback;
        }

        return int.TryParse(node.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"{source}: node field {key} must be a non-negative integer, not \"{node}\"");
    }

    /// <summary>Expands <c>prefix-{01..08}</c> into prefix-01 … prefix-08 (width kept from the first bound).</summary>
    internal static IEnumerable<string> Expand(string pattern, string source)
    {
        var m = RangePattern().Match(pattern);
        if (!m.Success)
        {
            return [pattern];
        }

        var from = m.Groups[1].Value;
        var to = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        var start = int.Parse(from, CultureInfo.InvariantCulture);
        if (to < start || to - start > 100_000)
        {
            throw new InvalidDataException($"{source}: node range {m.Value} is empty or too large");
        }

        var width = from.Length;
        return Enumerable.Range(start, to - start + 1)
            .Select(i => pattern[..m.Index] + i.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0') + pattern[(m.Index + m.Length)..]);
    }

    private static string Truncate(string s) => s.Length > 120 ? s[..120] + "…" : s;

    [GeneratedRegex(@"\{(\d+)\.\.(\d+)\}")]
    private static partial Regex RangePattern();
}
