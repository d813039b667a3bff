using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Runai.Controllers.Scheduling;
using Runai.Core;
using Runai.Core.Hosting;
using Runai.Core.Resources;
using Runai.Core.Runtime;
using Runai.Core.Scheduling;
using Runai.Core.Workloads;

namespace Runai.Controllers.Overseer;

/// <summary>
/// workload-overseer (SPEC §5): the fairness and preemption side. Each pass takes the scheduler's view of the
/// cluster (pods already being evicted count as free), finds the gangs that wait for room although their project
/// is within quota (reclaim) or they outrank preemptible work of their own project (priority), and evicts the
/// victims <see cref="SchedulingCycle.PlanPreemptions"/> picks, whole, through the eviction API. Each victim's
/// <c>runai-preemptions</c> count goes up by one and <c>runai-last-preemption</c> says why; Events on both sides
/// and the victim's pod group (Preempted condition, preemption count) record it. Without the overseer the scheduler
/// keeps placing and nothing is preempted.
/// </summary>
internal sealed class OverseerComponent(OverseerOptions? options = null) : IComponent
{
    private readonly OverseerOptions _options = options ?? new OverseerOptions();

    public string Name => RunaiComponents.WorkloadOverseer;

    public Task RunAsync(ComponentContext context, CancellationToken leading)
    {
        OverseerMetrics.Register();
        return ClusterViewRun.RunAsync(context, leading, "Runai.Overseer", "watching for reclaim and preemption",
            (view, log) => new PreemptionLoop(context.Kubernetes, view, context.Component, _options, log).RunAsync);
    }
}

internal sealed record OverseerOptions
{
    /// <summary>A pass runs at least this often.</summary>
    public TimeSpan Resync { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// After a change, wait this long before looking: the scheduler gets the first go at placing, so only gangs it
    /// really cannot place cause evictions.
    /// </summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gangs a pass makes room for, at most.</summary>
    public int MaxPreemptorsPerPass { get; init; } = 8;

    /// <summary>How long an evicted pod counts as going, while its deletion has not shown in the cache yet.</summary>
    public TimeSpan EvictionMemory { get; init; } = TimeSpan.FromSeconds(60);
}

internal sealed class PreemptionLoop(IKubernetes api, ClusterView view, string component, OverseerOptions options, ILogger log)
{
    private readonly EventRecorder _events = new(api, component, log);
    private readonly PolicySource _policy = new(api, component, log);
    private readonly ConcurrentDictionary<string, DateTime> _evicted = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            if (await view.Changed.WaitAsync(options.Resync, ct).ConfigureAwait(false))
            {
                await Task.Delay(options.Settle, ct).ConfigureAwait(false);
            }

            try
            {
                await PassAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "Preemption pass failed; the next one starts over from the caches");
            }
        }
    }

    internal async Task PassAsync(CancellationToken ct)
    {
        using var activity = RunaiTelemetry.Source.StartActivity("workload-overseer pass");
        var started = Stopwatch.GetTimestamp();
        var now = DateTime.UtcNow;
        foreach (var (pod, at) in _evicted)
        {
            if (now - at > options.EvictionMemory) _evicted.TryRemove(pod, out _);
        }

        var policy = await _policy.GetAsync(ct).ConfigureAwait(false);
        var (snapshot, _) = view.Snapshot(policy, null);
        if (!_evicted.IsEmpty)
        {
            // Evicted pods whose deletion the cache has not shown yet are already on their way out.
            snapshot = snapshot with { Bound = [.. snapshot.Bound.Select(b => _evicted.ContainsKey(b.Demand.Key) ? b with { Releasing = true } : b)] };
        }

        var cycle = new SchedulingCycle(snapshot, releasingCountsAsFree: true);
        var plan = cycle.PlanPreemptions(options.MaxPreemptorsPerPass);
        OverseerMetrics.PassDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        activity?.SetTag("runai.preemptions", plan.Count);
        foreach (var preemption in plan)
        {
            await PreemptAsync(preemption, ct).ConfigureAwait(false);
        }
    }

    private async Task PreemptAsync(Preemption p, CancellationToken ct)
    {
        log.LogInformation("Evicting {Victim} ({Gpus} GPUs, project {VictimProject}) for {Preemptor}: {Message}",
            p.Victim, GpuMilli.Format(p.VictimMilli), p.VictimProject, p.Preemptor, p.Message);
        var evicted = 0;
        foreach (var podKey in p.VictimPods)
        {
            if (await EvictAsync(podKey, ct).ConfigureAwait(false)) evicted++;
        }

        if (evicted == 0) return;
        OverseerMetrics.Preemptions.WithLabels(p.Kind == PreemptionKind.Reclaim ? "reclaim" : "priority").Inc();
        var victim = RefOf(p.Victim);
        var preemptor = RefOf(p.Preemptor);
        var reason = p.Kind == PreemptionKind.Reclaim ? "Reclaimed" : "Preempted";
        if (victim is { } v)
        {
            await CountPreemptionAsync(v, p, ct).ConfigureAwait(false);
            if (Target(v) is { } target)
            {
                await _events.RecordAsync(target, "Warning", reason, $"{evicted} pods evicted by {component}: {p.Message}", ct).ConfigureAwait(false);
            }
        }

        if (preemptor is { } pr && Target(pr) is { } preemptorTarget)
        {
            await _events.RecordAsync(preemptorTarget, "Normal", "PreemptedOthers",
                $"{component} evicted {p.Victim} ({GpuMilli.Format(p.VictimMilli)} GPUs, project {p.VictimProject}) to make room: {p.Message}", ct).ConfigureAwait(false);
        }
    }

    private async Task<bool> EvictAsync(string podKey, CancellationToken ct)
    {
        var (ns, name) = ObjectKey.Split(podKey);
        var eviction = new V1Eviction { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns } };
        try
        {
            await api.CoreV1.CreateNamespacedPodEvictionAsync(eviction, name, ns, cancellationToken: ct).ConfigureAwait(false);
            _evicted[podKey] = DateTime.UtcNow;
            OverseerMetrics.Evictions.WithLabels("evicted").Inc();
            return true;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            _evicted[podKey] = DateTime.UtcNow;
            return true;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == (HttpStatusCode)429)
        {
            OverseerMetrics.Evictions.WithLabels("refused").Inc();
            log.LogWarning("Eviction of {Pod} refused by a disruption budget; tried again next pass", podKey);
            return false;
        }
        catch (HttpOperationException e) when (!ct.IsCancellationRequested)
        {
            OverseerMetrics.Evictions.WithLabels("failed").Inc();
            if (e.Response?.StatusCode == HttpStatusCode.Forbidden) ControllerMetrics.ApiForbidden.WithLabels(component, "pods/eviction", "create").Inc();
            log.LogWarning("Eviction of {Pod} failed: {Status} {Error}; tried again next pass", podKey, e.Response?.StatusCode, e.Message);
            return false;
        }
    }

    /// <summary>Adds one to the victim's <c>runai-preemptions</c>, says why in <c>runai-last-preemption</c>, and marks its pod group.</summary>
    private async Task CountPreemptionAsync(WorkloadRef victim, Preemption p, CancellationToken ct)
    {
        var kind = WorkloadKinds.FindByKind(victim.Kind);
        var current = view.WorkloadObject(victim);
        if (kind is null || current is null) return;
        var count = current.Metadata.Annotations?.TryGetValue(RunaiExtraAnnotations.Preemptions, out var text) == true
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var now = DateTime.UtcNow;
        var why = $"{now.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)} {(p.Kind == PreemptionKind.Reclaim ? "reclaimed" : "preempted")} for {p.Preemptor}: {p.Message}";
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                // The resourceVersion makes this a compare-and-swap: a count read from a stale cache is not written.
                ["resourceVersion"] = current.Metadata.ResourceVersion,
                ["annotations"] = new JsonObject
                {
                    [RunaiExtraAnnotations.Preemptions] = (count + 1).ToString(CultureInfo.InvariantCulture),
                    [RunaiExtraAnnotations.LastPreemption] = why,
                },
            },
        };
        try
        {
            await api.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch),
                kind.Group, kind.Version, victim.Namespace, kind.Plural, victim.Name, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (!ct.IsCancellationRequested)
        {
            log.LogWarning("Counting the preemption on {Victim} failed: {Status} {Error}", victim, e.Response?.StatusCode, e.Message);
        }

        var group = view.PodGroups.Get(victim.Namespace, PodGroup.NameFor(victim.Kind, victim.Name));
        if (group is null) return;
        var conditions = (group.Status?.Conditions ?? []).Where(c => c.Type != PodGroupConditionTypes.Preempted).ToList();
        conditions.Add(new ResourceCondition { Type = PodGroupConditionTypes.Preempted, Status = ConditionStatus.True, Reason = p.Kind.ToString(), Message = p.Message, LastTransitionTime = now });
        var status = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["preemptions"] = (group.Status?.Preemptions ?? 0) + 1,
                ["conditions"] = JsonNode.Parse(KubernetesJson.Serialize(conditions)),
            },
        };
        try
        {
            await api.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(status.ToJsonString(), V1Patch.PatchType.MergePatch),
                PodGroup.KubeGroup, PodGroup.KubeApiVersion, victim.Namespace, PodGroup.KubePluralName, group.Metadata.Name, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (!ct.IsCancellationRequested)
        {
            log.LogWarning("Marking pod group {Namespace}/{Name} preempted failed: {Status} {Error}", victim.Namespace, group.Metadata.Name, e.Response?.StatusCode, e.Message);
        }
    }

    private EventTarget? Target(WorkloadRef r)
    {
        var obj = view.WorkloadObject(r);
        var kind = WorkloadKinds.FindByKind(r.Kind);
        return obj is null || kind is null ? null : new EventTarget(kind.ApiVersion, r.Kind, r.Namespace, r.Name, obj.Metadata.Uid);
    }

    /// <summary>The workload of a key <c>Kind/namespace/name</c>; null for a lone pod's key.</summary>
    private static WorkloadRef? RefOf(string key)
    {
        var parts = key.Split('/', 3);
        return parts.Length == 3 && WorkloadKinds.FindByKind(parts[0]) is not null ? new WorkloadRef(parts[0], parts[1], parts[2]) : null;
    }
}
