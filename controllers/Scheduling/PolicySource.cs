using System.Net;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Runai.Core;
using Runai.Core.Runtime;
using Runai.Core.Scheduling;

namespace Runai.Controllers.Scheduling;

/// <summary>
/// The scheduling policy from ConfigMap <c>runai/runai-scheduling-policy</c>, read by name (RBAC grants get on that
/// name only, not a watch of every ConfigMap) and kept for <see cref="MaxAge"/>. Absent means the defaults; a bad
/// value is logged once and its default kept; an unreachable API keeps the last policy read.
/// </summary>
internal sealed class PolicySource(IKubernetes api, string component, ILogger log)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private SchedulingPolicy _policy = SchedulingPolicy.Default;
    private DateTime _readAt = DateTime.MinValue;
    private string _lastProblems = "";

    public async Task<SchedulingPolicy> GetAsync(CancellationToken ct)
    {
        if (DateTime.UtcNow - _readAt < MaxAge) return _policy;
        try
        {
            var map = await api.CoreV1.ReadNamespacedConfigMapAsync(SchedulingPolicy.ConfigMapName, RunaiComponents.Namespace, cancellationToken: ct).ConfigureAwait(false);
            _policy = SchedulingPolicy.Parse(map.Data, out var problems);
            var text = string.Join("; ", problems);
            if (text != _lastProblems && problems.Count > 0)
            {
                log.LogWarning("ConfigMap {Namespace}/{Name}: {Problems}", RunaiComponents.Namespace, SchedulingPolicy.ConfigMapName, text);
            }

            _lastProblems = text;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            _policy = SchedulingPolicy.Default;
        }
        catch (HttpOperationException e) when (!ct.IsCancellationRequested)
        {
            if (e.Response?.StatusCode == HttpStatusCode.Forbidden) ControllerMetrics.ApiForbidden.WithLabels(component, "configmaps", "get").Inc();
            log.LogWarning("Reading ConfigMap {Namespace}/{Name} failed ({Status}); keeping the policy read before: {Policy}",
                RunaiComponents.Namespace, SchedulingPolicy.ConfigMapName, e.Response?.StatusCode, _policy);
        }

        _readAt = DateTime.UtcNow;
        return _policy;
    }
}
