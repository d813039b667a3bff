using System.Security.Cryptography;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Runai.Controllers.Scheduling;

/// <summary>The object an Event is about.</summary>
internal sealed record EventTarget(string ApiVersion, string Kind, string Namespace, string Name, string? Uid);

/// <summary>Records core/v1 Events as client-go's recorder does; best effort (a failed write is logged, never thrown).</summary>
internal sealed class EventRecorder(IKubernetes api, string component, ILogger log)
{
    public static EventTarget Of(V1Pod pod) => new("v1", "Pod", pod.Metadata.NamespaceProperty ?? "", pod.Metadata.Name, pod.Metadata.Uid);

    public async Task RecordAsync(EventTarget about, string type, string reason, string message, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var e = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = $"{about.Name}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}", NamespaceProperty = about.Namespace },
            InvolvedObject = new V1ObjectReference { ApiVersion = about.ApiVersion, Kind = about.Kind, Name = about.Name, NamespaceProperty = about.Namespace, Uid = about.Uid },
            Reason = reason,
            Message = message.Length > 1024 ? message[..1021] + "..." : message,
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
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            log.LogWarning("Recording event {Reason} on {Kind} {Namespace}/{Name} failed: {Error}", reason, about.Kind, about.Namespace, about.Name, ex.Message);
        }
    }
}
