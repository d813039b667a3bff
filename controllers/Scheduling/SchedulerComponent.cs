using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Runai.Core;
using Runai.Core.Hosting;
using Runai.Core.Resources;
using Runai.Core.Runtime;
using Runai.Core.Scheduling;

namespace Runai.Controllers.Scheduling;

/// <summary>
/// runai-scheduler (SPEC §5): places pods whose <c>schedulerName</c> is <c>runai-scheduler</c>. Each cycle takes a
/// snapshot of the informers' caches, lets <see cref="SchedulingCycle"/> decide, binds the chosen pods through
/// <c>pods/binding</c> (fractional pods get <c>runai-gpu-index</c> first), and keeps one PodGroup per workload whose
/// status says whether the gang is placed and, while it waits, why and where it stands in its project's queue. A
/// changed reason is also a <c>FailedScheduling</c> Event on the workload. It never evicts: that is the overseer's.
/// </summary>
internal sealed class SchedulerComponent : IComponent
{
    private readonly SchedulerOptions _options;

    public SchedulerComponent(SchedulerOptions? options = null) => _options = options ?? new SchedulerOptions();

    public string Name => RunaiComponents.Scheduler;

    public Task RunAsync(ComponentContext context, CancellationToken leading)
    {
        SchedulerMetrics.Register();
        return ClusterViewRun.RunAsync(context, leading, "Runai.Scheduler", "scheduling",
            (view, log) => new SchedulerLoop(context.Kubernetes, view, context.Component, _options, log).RunAsync);
    }
}

/// <summary>How often the scheduler looks without being told, and how many API calls it keeps in flight.</summary>
internal sealed record SchedulerOptions
{
    /// <summary>A cycle runs at least this often, even when nothing changed (for time-based decisions and missed events).</summary>
    public TimeSpan Resync { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>After a change, wait this long for more so one cycle covers a burst.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(20);

    public int BindParallelism { get; init; } = 8;
}

internal sealed class SchedulerLoop(IKubernetes api, ClusterView view, string component, SchedulerOptions options, ILogger log)
{
    private readonly ConcurrentDictionary<string, (AssumedPod Pod, DateTime At)> _assumed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _lonePodReasons = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reportedProblems = new(StringComparer.Ordinal);
    private readonly EventRecorder _events = new(api, component, log);
    private readonly PolicySource _policy = new(api, component, log);

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await CycleAsync(ct).ConfigureAwait(false);
                SchedulerMetrics.Cycles.WithLabels("ok").Inc();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                SchedulerMetrics.Cycles.WithLabels("error").Inc();
                log.LogError(e, "Scheduling cycle failed; the next one starts over from the caches");
            }

            if (await view.Changed.WaitAsync(options.Resync, ct).ConfigureAwait(false))
            {
                await Task.Delay(options.Debounce, ct).ConfigureAwait(false);
            }
        }
    }

    internal async Task CycleAsync(CancellationToken ct)
    {
        using var activity = RunaiTelemetry.Source.StartActivity("runai-scheduler cycle");
        var started = Stopwatch.GetTimestamp();
        ForgetSettledAssumptions();
        var policy = await _policy.GetAsync(ct).ConfigureAwait(false);
        var assumed = _assumed.ToDictionary(kv => kv.Key, kv => kv.Value.Pod, StringComparer.Ordinal);
        var (snapshot, context) = view.Snapshot(policy, assumed);
        var result = new SchedulingCycle(snapshot).Run();
        SchedulerMetrics.DecisionDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        activity?.SetTag("runai.nodes", snapshot.Nodes.Count);
        activity?.SetTag("runai.pods.bound", snapshot.Bound.Count);
        activity?.SetTag("runai.workloads.pending", snapshot.Pending.Count);
        activity?.SetTag("runai.bindings", result.Bindings.Count);

        var boundNow = await BindAsync(result, context, ct).ConfigureAwait(false);
        foreach (var (reason, count) in result.PendingByReason) SchedulerMetrics.PendingWorkloads.WithLabels(reason).Set(count);
        SchedulerMetrics.GangsPlaced.Inc(result.PlacedWorkloads);
        await UpdatePodGroupsAsync(result, context, boundNow, policy, ct).ConfigureAwait(false);
        await ReportProblemsAsync(context, ct).ConfigureAwait(false);
        SchedulerMetrics.CycleDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        if (result.Bindings.Count > 0)
        {
            log.LogInformation("Cycle placed {Workloads} workloads ({Pods} pods) in {Ms} ms; {Waiting} workloads wait",
                result.PlacedWorkloads, result.Bindings.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture),
                result.Outcomes.Values.Count(o => !o.Placed));
        }
    }

    private void ForgetSettledAssumptions()
    {
        var now = DateTime.UtcNow;
        foreach (var (key, (_, at)) in _assumed)
        {
            var (ns, name) = ObjectKey.Split(key);
            var pod = view.Pods.Get(ns, name);
            if (pod is null || !string.IsNullOrEmpty(pod.Spec?.NodeName) || now - at > AssumeFor) _assumed.TryRemove(key, out _);
        }
    }

    // A binding the watch has not shown within this long is forgotten, so a lost event cannot hold GPUs forever.
    private static readonly TimeSpan AssumeFor = TimeSpan.FromSeconds(30);

    /// <summary>Binds the cycle's pods, a few at a time; returns per workload how many of its pods are bound now.</summary>
    private async Task<Dictionary<string, int>> BindAsync(CycleResult result, SnapshotContext context, CancellationToken ct)
    {
        var bound = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (key, w) in context.Workloads) bound[key] = w.Bound.Count;
        await Parallel.ForEachAsync(result.Bindings, new ParallelOptions { MaxDegreeOfParallelism = options.BindParallelism, CancellationToken = ct }, async (b, token) =>
        {
            if (!context.PendingPods.TryGetValue(b.PodKey, out var pod)) return;
            if (await BindOneAsync(pod, b, token).ConfigureAwait(false))
            {
                bound.AddOrUpdate(b.Workload, 1, (_, n) => n + 1);
            }
        }).ConfigureAwait(false);
        return new Dictionary<string, int>(bound, StringComparer.Ordinal);
    }

    private async Task<bool> BindOneAsync(V1Pod pod, PodBinding b, CancellationToken ct)
    {
        var ns = pod.Metadata.NamespaceProperty;
        var name = pod.Metadata.Name;
        try
        {
            if (b.GpuIndex is int index)
            {
                var patch = new { metadata = new { annotations = new Dictionary<string, string> { [RunaiExtraAnnotations.GpuGroupIndex] = index.ToString(CultureInfo.InvariantCulture) } } };
                await api.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name, ns, cancellationToken: ct).ConfigureAwait(false);
            }

            var binding = new V1Binding
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = pod.Metadata.Uid },
                Target = new V1ObjectReference { ApiVersion = "v1", Kind = "Node", Name = b.NodeName },
            };
            await api.CoreV1.CreateNamespacedPodBindingAsync(binding, name, ns, cancellationToken: ct).ConfigureAwait(false);
            _assumed[b.PodKey] = (new AssumedPod(b.NodeName, b.GpuIndex), DateTime.UtcNow);
            SchedulerMetrics.Placements.WithLabels("bound").Inc();
            await _events.RecordAsync(EventTarget.Of(pod), "Normal", "Scheduled", $"Successfully assigned {ns}/{name} to {b.NodeName}", ct).ConfigureAwait(false);
            return true;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            // Bound elsewhere or gone meanwhile: the next snapshot says which.
            SchedulerMetrics.Placements.WithLabels("failed").Inc();
            log.LogInformation("Binding {Pod} to {Node} was refused ({Status}); it is looked at again next cycle", b.PodKey, b.NodeName, e.Response?.StatusCode);
            return false;
        }
        catch (HttpOperationException e) when (!ct.IsCancellationRequested)
        {
            SchedulerMetrics.Placements.WithLabels("failed").Inc();
            if (e.Response?.StatusCode == HttpStatusCode.Forbidden)
            {
                ControllerMetrics.ApiForbidden.WithLabels(component, "pods/binding", "create").Inc();
            }

            log.LogWarning("Binding {Pod} to {Node} failed: {Status} {Error}; retried next cycle", b.PodKey, b.NodeName, e.Response?.StatusCode, e.Message);
            return false;
        }
    }

    private async Task UpdatePodGroupsAsync(CycleResult result, SnapshotContext context, Dictionary<string, int> boundNow, SchedulingPolicy policy, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        foreach (var (key, workload) in context.Workloads)
        {
            result.Outcomes.TryGetValue(key, out var outcome);
            if (workload.Info is null)
            {
                await ReportLonePodAsync(workload, outcome, ct).ConfigureAwait(false);
                continue;
            }

            var r = workload.Info.Ref;
            var existing = view.PodGroups.Get(r.Namespace, PodGroup.NameFor(r.Kind, r.Name));
            var bound = boundNow.GetValueOrDefault(key);
            var desired = PodGroupState.Desired(workload, outcome, bound, existing, policy, now);
            try
            {
                await WritePodGroupAsync(existing, desired, ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (!ct.IsCancellationRequested)
            {
                if (e.Response?.StatusCode == HttpStatusCode.Forbidden)
                {
                    ControllerMetrics.ApiForbidden.WithLabels(component, "podgroups.scheduling.run.ai", existing is null ? "create" : "patch").Inc();
                }

                log.LogWarning("Writing pod group {Namespace}/{Name} failed: {Status} {Error}; retried next cycle",
                    desired.Metadata.NamespaceProperty, desired.Metadata.Name, e.Response?.StatusCode, e.Message);
            }

            await RecordTransitionAsync(workload, existing, desired, ct).ConfigureAwait(false);
        }
    }

    private async Task WritePodGroupAsync(PodGroup? existing, PodGroup desired, CancellationToken ct)
    {
        var ns = desired.Metadata.NamespaceProperty;
        var name = desired.Metadata.Name;
        if (existing is null)
        {
            var body = new PodGroup { Metadata = desired.Metadata, Spec = desired.Spec };
            try
            {
                await api.CustomObjects.CreateNamespacedCustomObjectAsync(body, PodGroup.KubeGroup, PodGroup.KubeApiVersion, ns, PodGroup.KubePluralName, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
            {
                // Created meanwhile (the cache lags our own write): its status is written below all the same.
            }
        }
        else if (PodGroupState.SpecDiffers(existing, desired))
        {
            var patch = new { metadata = new { labels = desired.Metadata.Labels, ownerReferences = desired.Metadata.OwnerReferences }, spec = desired.Spec };
            await api.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(KubernetesJson.Serialize(patch), V1Patch.PatchType.MergePatch),
                PodGroup.KubeGroup, PodGroup.KubeApiVersion, ns, PodGroup.KubePluralName, name, cancellationToken: ct).ConfigureAwait(false);
        }

        if (existing is null || PodGroupState.StatusDiffers(existing, desired))
        {
            // A merge patch leaves out what is absent, so fields the status no longer has are set to null explicitly.
            var status = JsonNode.Parse(KubernetesJson.Serialize(desired.Status))!.AsObject();
            foreach (var field in (string[])["queuePosition", "scheduledTime", "preemptions"]) status.TryAdd(field, null);
            var patch = new JsonObject { ["status"] = status };
            await api.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch),
                PodGroup.KubeGroup, PodGroup.KubeApiVersion, ns, PodGroup.KubePluralName, name, cancellationToken: ct).ConfigureAwait(false);
        }
    }

    /// <summary>A FailedScheduling Event when the reason or its numbers change; a Scheduled one when the gang is placed.</summary>
    private async Task RecordTransitionAsync(WorkloadPods workload, PodGroup? existing, PodGroup desired, CancellationToken ct)
    {
        var info = workload.Info!;
        var target = new EventTarget(info.ApiVersion, info.Ref.Kind, info.Ref.Namespace, info.Ref.Name, info.Uid);
        var (oldReason, oldMessage) = PodGroupState.Waiting(existing);
        var (reason, message) = PodGroupState.Waiting(desired);
        if (reason is not null && (reason != oldReason || message != oldMessage))
        {
            await _events.RecordAsync(target, "Warning", "FailedScheduling", $"{reason}: {message}", ct).ConfigureAwait(false);
        }
        else if (reason is null && oldReason is not null || reason is null && existing is null && desired.Status?.Phase != PodGroupPhases.Pending)
        {
            var nodes = string.Join(", ", workload.Bound.Select(p => p.Spec.NodeName).Concat(_assumed
                .Where(a => workload.Pending.Any(p => $"{p.Metadata.NamespaceProperty}/{p.Metadata.Name}" == a.Key)).Select(a => a.Value.Pod.Node)).Distinct().Order(StringComparer.Ordinal));
            await _events.RecordAsync(target, "Normal", "Scheduled", $"gang of {info.MinMember} pods placed on {nodes}", ct).ConfigureAwait(false);
        }
    }

    /// <summary>A pod of no known workload: its reason goes to the pod itself, as an Event when it changes.</summary>
    private async Task ReportLonePodAsync(WorkloadPods workload, WorkloadOutcome? outcome, CancellationToken ct)
    {
        if (outcome is not { Placed: false } || workload.Pending.Count == 0)
        {
            _lonePodReasons.Remove(workload.Key);
            return;
        }

        var text = $"{outcome.Reason}: {outcome.Message}";
        if (_lonePodReasons.TryGetValue(workload.Key, out var last) && last == text) return;
        _lonePodReasons[workload.Key] = text;
        foreach (var pod in workload.Pending)
        {
            await _events.RecordAsync(EventTarget.Of(pod), "Warning", "FailedScheduling", text, ct).ConfigureAwait(false);
        }
    }

    private async Task ReportProblemsAsync(SnapshotContext context, CancellationToken ct)
    {
        foreach (var (pod, problem) in context.Problems)
        {
            var key = $"{pod.Metadata.Uid}:{problem}";
            if (!_reportedProblems.Add(key)) continue;
            log.LogWarning("Pod {Namespace}/{Pod} is not scheduled: {Problem}", pod.Metadata.NamespaceProperty, pod.Metadata.Name, problem);
            await _events.RecordAsync(EventTarget.Of(pod), "Warning", "FailedScheduling", $"not scheduled: {problem}", ct).ConfigureAwait(false);
        }
    }
}
