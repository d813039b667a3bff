using System.Security.Cryptography;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Runai.Sim.Operators.Internal;

/// <summary>Records core/v1 Events about objects, as client-go's event recorder does (best effort: a failed write is only logged).</summary>
internal sealed class EventRecorder(IKubernetes client, string component, TimeProvider time, ILogger log)
{
    public async Task RecordAsync(IKubernetesObject<V1ObjectMeta> about, string type, string reason, string message, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var ns = about.Namespace() ?? "default";
        var e = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = $"{about.Name()}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}", NamespaceProperty = ns },
            InvolvedObject = new V1ObjectReference { ApiVersion = about.ApiVersion ?? (about is V1Pod ? "v1" : null), Kind = about.Kind ?? (about is V1Pod ? "Pod" : null), Name = about.Name(), NamespaceProperty = ns, Uid = about.Uid(), ResourceVersion = about.ResourceVersion() },
            Reason = reason,
            Message = message,
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
            await client.CoreV1.CreateNamespacedEventAsync(e, ns, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            log.LogDebug("Recording event {Reason} for {Object} failed: {Error}", reason, about.Name(), ApiCalls.Describe(ex));
        }
    }
}
