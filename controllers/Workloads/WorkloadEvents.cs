using System.Collections.Concurrent;
using System.Globalization;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Runai.Controllers.Workloads;

/// <summary>
/// Records Events on workloads (core/v1, as <c>kubectl describe</c> and <c>runai describe job</c> read them). The same
/// reason and message on the same object is recorded once until it changes, so a retried reconcile does not flood
/// the namespace. Best effort: a failed write is logged, never fails the reconcile.
/// </summary>
internal sealed class WorkloadEvents(IKubernetes api, string component, ILogger log)
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    private readonly ConcurrentDictionary<string, string> _last = new(StringComparer.Ordinal);

    public async Task RecordAsync(IKubernetesObject<V1ObjectMeta> obj, string type, string reason, string message, CancellationToken ct)
    {
        var meta = obj.Metadata;
        var key = $"{meta.Uid ?? meta.Name}/{reason}";
        if (_last.TryGetValue(key, out var previous) && previous == message) return;
        var now = DateTime.UtcNow;
        var ev = new Corev1Event
        {
            Metadata = new V1ObjectMeta
            {
                Name = $"{meta.Name}.{now.Ticks.ToString("x", CultureInfo.InvariantCulture)}",
                NamespaceProperty = meta.NamespaceProperty,
            },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = obj.ApiVersion,
                Kind = obj.Kind,
                Name = meta.Name,
                NamespaceProperty = meta.NamespaceProperty,
                Uid = meta.Uid,
                ResourceVersion = meta.ResourceVersion,
            },
            Type = type,
            Reason = reason,
            Message = message,
            Source = new V1EventSource { Component = component },
            ReportingComponent = component,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };
        try
        {
            await api.CoreV1.CreateNamespacedEventAsync(ev, meta.NamespaceProperty, cancellationToken: ct).ConfigureAwait(false);
            _last[key] = message;
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            log.LogWarning("could not record the {Reason} Event on {Kind} {Namespace}/{Name}: {Problem}", reason, obj.Kind, meta.NamespaceProperty, meta.Name, e.Message);
        }
    }

    /// <summary>Forgets what was recorded for a reason, so the next occurrence is recorded again.</summary>
    public void Clear(IKubernetesObject<V1ObjectMeta> obj, string reason) => _last.TryRemove($"{obj.Metadata.Uid ?? obj.Metadata.Name}/{reason}", out _);
}
