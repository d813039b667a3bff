using k8s;
using k8s.Models;
using Runai.Core;

namespace Runai.Workloads.Tests.Support;

/// <summary>
/// Stands in for runai-scheduler until it is merged: binds pods whose <c>schedulerName</c> is <c>runai-scheduler</c>
/// through the real <c>pods/binding</c> API, first fit on GPU nodes by free <c>nvidia.com/gpu</c>, one pod per node
/// (enough for these tests' anti-affinity). Drop it when the real scheduler runs in the fixture.
/// </summary>
internal sealed class PodBinder(Kubernetes api) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public void Start() => _loop ??= Task.Run(() => LoopAsync(_stop.Token));

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await BindPendingAsync(ct);
                await Task.Delay(100, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                // A pod deleted or bound meanwhile: look again next round.
            }
        }
    }

    private async Task BindPendingAsync(CancellationToken ct)
    {
        var pods = (await api.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct)).Items;
        var nodes = (await api.CoreV1.ListNodeAsync(cancellationToken: ct)).Items
            .Where(n => n.Status?.Allocatable?.ContainsKey(GpuLabels.ResourceName) == true)
            .OrderBy(n => n.Metadata.Name, StringComparer.Ordinal).ToList();
        var busy = pods.Where(p => !string.IsNullOrEmpty(p.Spec?.NodeName) && p.Status?.Phase is not ("Succeeded" or "Failed"))
            .Select(p => p.Spec.NodeName).ToHashSet(StringComparer.Ordinal);
        foreach (var pod in pods.Where(p => p.Spec?.SchedulerName == RunaiComponents.SchedulerName && string.IsNullOrEmpty(p.Spec.NodeName)
                     && p.Metadata.DeletionTimestamp is null))
        {
            var node = nodes.FirstOrDefault(n => !busy.Contains(n.Metadata.Name));
            if (node is null) return;
            busy.Add(node.Metadata.Name);
            await api.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding
            {
                Metadata = new V1ObjectMeta { Name = pod.Metadata.Name, NamespaceProperty = pod.Metadata.NamespaceProperty },
                Target = new V1ObjectReference { Kind = "Node", Name = node.Metadata.Name },
            }, pod.Metadata.NamespaceProperty, pod.Metadata.Name, cancellationToken: ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
