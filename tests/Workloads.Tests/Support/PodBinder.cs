using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Workloads;

namespace Runai.Workloads.Tests.Support;

/// <summary>
/// Stands in for runai-scheduler until it runs in these tests: binds pods whose <c>schedulerName</c> is
/// <c>runai-scheduler</c> through the real <c>pods/binding</c> API, first fit by free <c>nvidia.com/gpu</c> and never two
/// pods of one workload on a node. No gangs, quotas or reasons: that is the scheduler's job. Workloads named in
/// <see cref="Hold"/> stay unplaced, as a full cluster would leave them.
/// </summary>
internal sealed class PodBinder(Kubernetes api) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, bool> _held = new(StringComparer.Ordinal);
    private Task? _loop;

    /// <summary>The last failure of a binding round, for a test that needs to say why nothing was placed.</summary>
    public Exception? LastError { get; private set; }

    public void Start() => _loop ??= Task.Run(() => LoopAsync(_stop.Token));

    /// <summary>Leaves the pods of the named workload unbound.</summary>
    public void Hold(string workload) => _held[workload] = true;

    public void Release(string workload) => _held.TryRemove(workload, out _);

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await BindPendingAsync(ct);
                await Task.Delay(50, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A pod deleted or bound meanwhile: look again next round.
                LastError = e;
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    private async Task BindPendingAsync(CancellationToken ct)
    {
        var pods = (await api.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct)).Items;
        var nodes = (await api.CoreV1.ListNodeAsync(cancellationToken: ct)).Items
            .Where(n => n.Status?.Allocatable?.ContainsKey(GpuLabels.ResourceName) == true)
            .OrderBy(n => n.Metadata.Name, StringComparer.Ordinal).ToList();
        var holding = pods.Where(p => !string.IsNullOrEmpty(p.Spec?.NodeName) && p.Status?.Phase is not ("Succeeded" or "Failed")).ToList();
        var free = nodes.ToDictionary(n => n.Metadata.Name, n => (int)n.Status.Allocatable[GpuLabels.ResourceName].ToInt64() -
            holding.Where(p => p.Spec.NodeName == n.Metadata.Name).Sum(p => PodGpus.Of(p).Gpus.DevicesCeiling));
        var workloadsOn = holding.GroupBy(p => p.Spec.NodeName)
            .ToDictionary(g => g.Key, g => g.Select(WorkloadIdentity.Of).OfType<WorkloadRef>().ToHashSet());
        foreach (var pod in pods.Where(p => p.Spec?.SchedulerName == RunaiComponents.SchedulerName && string.IsNullOrEmpty(p.Spec.NodeName)
                     && p.Metadata.DeletionTimestamp is null))
        {
            var workload = WorkloadIdentity.Of(pod);
            if (workload is { } w && _held.ContainsKey(w.Name)) continue;
            var need = Math.Max(0, PodGpus.Of(pod).Gpus.DevicesCeiling);
            var node = nodes.FirstOrDefault(n => free[n.Metadata.Name] >= need
                && !(workload is { } wl && workloadsOn.TryGetValue(n.Metadata.Name, out var there) && there.Contains(wl)));
            if (node is null) continue;
            free[node.Metadata.Name] -= need;
            if (workload is { } placed)
            {
                if (!workloadsOn.TryGetValue(node.Metadata.Name, out var set)) workloadsOn[node.Metadata.Name] = set = [];
                set.Add(placed);
            }

            await api.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding
            {
                Metadata = new V1ObjectMeta { Name = pod.Metadata.Name, NamespaceProperty = pod.Metadata.NamespaceProperty },
                Target = new V1ObjectReference { Kind = "Node", Name = node.Metadata.Name },
            }, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
