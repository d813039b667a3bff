using Runai.NodeDaemon.Hosting;

namespace Runai.NodeDaemon.Kube;

/// <summary>
/// Keeps the node's <c>nvidia.com/gpu.*</c> labels true to the GPUs the telemetry source reports: patched when
/// they differ, checked again every <see cref="RecheckInterval"/> (someone may have edited them), retried with
/// back-off while the API fails. No other label is read for a decision or written.
/// </summary>
internal sealed class NodeLabeler(KubeApi api, string node, Func<IReadOnlyList<GpuInventoryEntry>> inventory)
{
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    public ulong Updates { get; private set; }

    /// <summary>The labels last confirmed on the node.</summary>
    public IReadOnlyDictionary<string, string>? Applied { get; private set; }

    public async Task RunAsync(TimeSpan poll, CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        var lastCheck = DateTime.MinValue;
        var failing = false;
        while (!ct.IsCancellationRequested)
        {
            var wait = poll;
            var desired = NodeGpuLabels.Desired(inventory());
            if (desired is not null && (!Same(desired, Applied) || DateTime.UtcNow - lastCheck >= RecheckInterval))
            {
                try
                {
                    await ApplyAsync(desired, ct).ConfigureAwait(false);
                    lastCheck = DateTime.UtcNow;
                    backoff = TimeSpan.FromSeconds(1);
                    if (failing) Log.Info($"Node {node}: GPU labels can be kept again");
                    failing = false;
                }
                catch (KubeApiException e)
                {
                    if (!failing) Log.Warn($"Node {node}: the GPU labels could not be kept: {e.Message}; retrying with back-off up to {MaxBackoff.TotalSeconds:0} s");
                    failing = true;
                    wait = backoff;
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            try
            {
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Reads the node and patches the GPU labels that differ.</summary>
    public async Task ApplyAsync(IReadOnlyDictionary<string, string> desired, CancellationToken ct)
    {
        var path = $"/api/v1/nodes/{Uri.EscapeDataString(node)}";
        using var doc = await api.GetAsync(path, ct).ConfigureAwait(false);
        var patch = NodeGpuLabels.Patch(NodeGpuLabels.LabelsOf(doc.RootElement), desired);
        if (patch is not null)
        {
            using var _ = await api.MergePatchAsync(path, patch, ct).ConfigureAwait(false);
            Updates++;
            Log.Info($"Node {node}: set {string.Join(", ", desired.Select(kv => $"{kv.Key}={kv.Value}"))}");
        }
        Applied = desired;
    }

    private static bool Same(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string>? b) =>
        b is not null && a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
