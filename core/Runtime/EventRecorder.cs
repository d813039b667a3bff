using System.Collections.Concurrent;
using System.Security.Cryptography;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Runai.Core.Runtime;

/// <summary>The object an Event is about.</summary>
public sealed record EventTarget(string ApiVersion, string Kind, string Namespace, string Name, string? Uid)
{
    /// <summary>A pod (cached pods often lack apiVersion and kind).</summary>
    public static EventTarget Of(V1Pod pod) => new("v1", "Pod", pod.Metadata.NamespaceProperty ?? "", pod.Metadata.Name, pod.Metadata.Uid);

    /// <summary>Any object that carries its apiVersion and kind.</summary>
    public static EventTarget Of(IKubernetesObject<V1ObjectMeta> obj) =>
        new(obj.ApiVersion, obj.Kind, obj.Metadata.NamespaceProperty ?? "", obj.Metadata.Name, obj.Metadata.Uid);
}

/// <summary>
/// Records core/v1 Events (what <c>kubectl describe</c> and <c>runai describe job</c> show), the one recorder every
/// component uses. Best effort: a failed write is logged, never thrown, so an Event never fails a reconcile.
/// With <c>once: true</c> the same reason and message on the same object is recorded once until it changes, so
/// retried reconciles do not flood the namespace. Timestamps come from <paramref name="time"/> (the system clock by
/// default; the simulated cluster's operators pass theirs).
/// </summary>
public sealed class EventRecorder(IKubernetes api, string component, ILogger log, TimeProvider? time = null)
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    /// <summary>Longest message kept; the API server refuses much longer ones.</summary>
    public const int MaxMessageLength = 1024;

    private readonly ConcurrentDictionary<string, string> _last = new(StringComparer.Ordinal);

    public Task RecordAsync(IKubernetesObject<V1ObjectMeta> obj, string type, string reason, string message, CancellationToken ct, bool once = false) =>
        RecordAsync(EventTarget.Of(obj), type, reason, message, ct, once);

    public async Task RecordAsync(EventTarget about, string type, string reason, string message, CancellationToken ct, bool once = false)
    {
        var key = $"{about.Uid ?? about.Namespace + "/" + about.Name}/{reason}";
        if (once && _last.TryGetValue(key, out var previous) && previous == message)
        {
            return;
        }

        var now = (time ?? TimeProvider.System).GetUtcNow().UtcDateTime;
        var e = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = $"{about.Name}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}", NamespaceProperty = about.Namespace },
            InvolvedObject = new V1ObjectReference { ApiVersion = about.ApiVersion, Kind = about.Kind, Name = about.Name, NamespaceProperty = about.Namespace, Uid = about.Uid },
            Reason = reason,
            Message = message.Length > MaxMessageLength ? message[..(MaxMessageLength - 3)] + "..." : message,
            Type = type,
            Source = new V1EventSource { Component = component },
            ReportingComponent = component,
            ReportingInstance = component,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };
        try
        {
            await api.CoreV1.CreateNamespacedEventAsync(e, about.Namespace, cancellationToken: ct).ConfigureAwait(false);
            if (once)
            {
                _last[key] = message;
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            log.LogWarning("Recording event {Reason} on {Kind} {Namespace}/{Name} failed: {Error}", reason, about.Kind, about.Namespace, about.Name, ex.Message);
        }
    }

    /// <summary>Forgets what was recorded for a reason on an object, so its next occurrence is recorded again.</summary>
    public void Clear(IKubernetesObject<V1ObjectMeta> obj, string reason)
    {
        var about = EventTarget.Of(obj);
        _last.TryRemove($"{about.Uid ?? about.Namespace + "/" + about.Name}/{reason}", out _);
    }
}
