using Grpc.Core;
using Runai.NodeDaemon.Hosting;
using Runai.NodeDaemon.Kube;

namespace Runai.NodeDaemon.Attribution;

/// <summary>
/// Keeps <see cref="Current"/> true: every few seconds it asks the kubelet which containers hold which GPUs, and the
/// API server (once per pod) which workload each such pod belongs to. A kubelet that does not answer leaves the last
/// known holders in place and is asked again; a pod the API cannot resolve gets an empty workload until it can.
/// </summary>
internal sealed class GpuAttribution(PodResourcesReader kubelet, KubeApi? api, TimeSpan interval)
{
    private readonly Dictionary<(string Namespace, string Pod), string> workloads = new();
    private volatile GpuOwners current = GpuOwners.None;
    private string lastProblem = "";

    public GpuOwners Current => current;

    /// <summary>Whether the last read of the kubelet worked (<c>runai_node_exporter_pod_resources_up</c>).</summary>
    public bool Up { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(ct).ConfigureAwait(false);
                await Task.Delay(interval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One read of the kubelet (and of the API for pods not seen before).</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        IReadOnlyList<ContainerGpus> containers;
        try
        {
            containers = await kubelet.ListAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            Up = false;
            Report($"the kubelet pod-resources API at {kubelet.SocketPath} did not answer: {e.Status.StatusCode} {e.Status.Detail}; GPUs keep their last known holders, retrying every {interval.TotalSeconds:0} s");
            return;
        }
        catch (Exception e) when (e is OperationCanceledException || (e is RpcException && ct.IsCancellationRequested))
        {
            return;
        }

        Up = true;
        var live = new HashSet<(string, string)>();
        var byUuid = new Dictionary<string, GpuOwner>(StringComparer.Ordinal);
        var workloadProblem = "";
        foreach (var c in containers)
        {
            var key = (c.Namespace, c.Pod);
            live.Add(key);
            if (!workloads.TryGetValue(key, out var workload))
            {
                (workload, var problem) = await ResolveWorkloadAsync(c.Namespace, c.Pod, ct).ConfigureAwait(false);
                if (problem is null) workloads[key] = workload;
                else workloadProblem = problem;
            }
            foreach (var id in c.DeviceIds) byUuid[id] = new GpuOwner(c.Namespace, c.Pod, c.Container, workload);
        }
        foreach (var gone in workloads.Keys.Where(k => !live.Contains(k)).ToList()) workloads.Remove(gone);

        var next = new GpuOwners(byUuid);
        if (!next.SameAs(current)) current = next;
        Report(workloadProblem.Length > 0 ? $"workload of a GPU pod unknown for now: {workloadProblem}" : "");
    }

    private async Task<(string Workload, string? Problem)> ResolveWorkloadAsync(string ns, string pod, CancellationToken ct)
    {
        if (api is null) return ("", null);
        try
        {
            using var doc = await api.GetAsync($"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods/{Uri.EscapeDataString(pod)}", ct).ConfigureAwait(false);
            return (PodWorkload.Of(doc.RootElement), null);
        }
        catch (KubeApiException e)
        {
            return ("", e.Message);
        }
    }

    /// <summary>Logs a problem when it starts or changes, and once when it clears.</summary>
    private void Report(string problem)
    {
        if (problem == lastProblem) return;
        if (problem.Length > 0) Log.Warn(problem);
        else Log.Info("GPU attribution works again: the kubelet and the API answer");
        lastProblem = problem;
    }
}
