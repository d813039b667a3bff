namespace Runai.Bench;

/// <summary>How big the API benchmark is. <see cref="Full"/> is the cluster; <see cref="Quick"/> runs in under a minute.</summary>
internal sealed record ApiBenchScale(
    int Nodes, int Pods, int Namespaces, int Watchers, int Updates, int ListRepeats, int Concurrency)
{
    public static ApiBenchScale Full { get; } = new(Nodes: 1_000, Pods: 50_000, Namespaces: 50, Watchers: 20, Updates: 10_000, ListRepeats: 3, Concurrency: 16);
    public static ApiBenchScale Quick { get; } = new(Nodes: 100, Pods: 5_000, Namespaces: 5, Watchers: 5, Updates: 1_000, ListRepeats: 5, Concurrency: 16);
}
