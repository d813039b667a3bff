using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Runai.Sim.Operators.Internal;
using EventRecorder = Runai.Core.Runtime.EventRecorder;
using EventTarget = Runai.Core.Runtime.EventTarget;

namespace Runai.Sim.Operators;

/// <summary>
/// Stands in for kube-scheduler: binds pods whose <c>spec.schedulerName</c> is <c>default-scheduler</c> (pods for
/// other schedulers, such as <c>runai-scheduler</c>, are left alone) to the node <see cref="Placement"/> picks,
/// through <c>pods/{name}/binding</c>. A pod that fits nowhere gets PodScheduled=False (Unschedulable) and a
/// FailedScheduling Event, and is tried again whenever pods or nodes change.
/// </summary>
internal sealed class DefaultScheduler
{
    public const string SchedulerName = "default-scheduler";
    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(30);

    private readonly IKubernetes client;
    private readonly ILoggerFactory loggers;
    private readonly ILogger log;
    private readonly TimeProvider time;
    private readonly EventRecorder events;
    // Pods bound but not yet seen bound through the watch (kube-scheduler's "assumed" pods), by uid.
    private readonly Dictionary<string, V1Pod> assumed = new();

    public DefaultScheduler(IKubernetes client, ILoggerFactory loggers, TimeProvider? time = null)
    {
        this.client = client;
        this.loggers = loggers;
        this.time = time ?? TimeProvider.System;
        log = loggers.CreateLogger<DefaultScheduler>();
        events = new EventRecorder(client, SchedulerName, log, this.time);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var changed = new Signal();
        var pods = new Informer<V1Pod>(Sources.Pods(client), changed, time, loggers.CreateLogger("Runai.Sim.Operators.DefaultScheduler.Pods"));
        var nodes = new Informer<V1Node>(Sources.Nodes(client), changed, time, loggers.CreateLogger("Runai.Sim.Operators.DefaultScheduler.Nodes"));
        try
        {
            await Task.WhenAll(pods.RunAsync(ct), nodes.RunAsync(ct), ScheduleLoopAsync(pods, nodes, changed, ct)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public static bool IsOurs(V1Pod pod) =>
        string.IsNullOrEmpty(pod.Spec?.NodeName) &&
        (string.IsNullOrEmpty(pod.Spec?.SchedulerName) || pod.Spec.SchedulerName == SchedulerName) &&
        pod.Metadata?.DeletionTimestamp is null &&
        pod.Status?.Phase is null or "Pending";

    private async Task ScheduleLoopAsync(Informer<V1Pod> pods, Informer<V1Node> nodes, Signal changed, CancellationToken ct)
    {
        await Task.WhenAll(pods.Synced, nodes.Synced).WaitAsync(ct).ConfigureAwait(false);
        while (!ct.IsCancellationRequested)
        {
            var all = pods.Items;
            var nodeList = nodes.Items.OrderBy(n => n.Name(), StringComparer.Ordinal).ToList();
            foreach (var uid in assumed.Keys.ToList())
            {
                var current = all.FirstOrDefault(p => p.Metadata?.Uid == uid);
                if (current is null || !string.IsNullOrEmpty(current.Spec?.NodeName)) assumed.Remove(uid);
            }
            var placed = all.Where(p => !string.IsNullOrEmpty(p.Spec?.NodeName)).Concat(assumed.Values).ToList();
            var queue = all.Where(p => IsOurs(p) && !assumed.ContainsKey(p.Metadata?.Uid ?? ""))
                .OrderByDescending(p => p.Spec?.Priority ?? 0)
                .ThenBy(p => p.Metadata?.CreationTimestamp)
                .ToList();
            foreach (var pod in queue)
            {
                try
                {
                    await ScheduleOneAsync(pods, pod, nodeList, placed, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    log.LogWarning("Scheduling pod {Namespace}/{Pod} failed: {Error}", pod.Namespace(), pod.Name(), ApiCalls.Describe(e));
                }
            }
            await changed.WaitAsync(Resync, time, ct).ConfigureAwait(false);
        }
    }

    private async Task ScheduleOneAsync(Informer<V1Pod> pods, V1Pod pod, IReadOnlyList<V1Node> nodes, List<V1Pod> placed, CancellationToken ct)
    {
        PlacementResult result;
        try
        {
            result = Placement.Place(pod, nodes, placed);
        }
        catch (ArgumentException e)
        {
            result = new PlacementResult(null, e.Message);
        }
        var name = $"{pod.Namespace()}/{pod.Name()}";
        if (result.NodeName is { } node)
        {
            var binding = new V1Binding
            {
                Metadata = new V1ObjectMeta { Name = pod.Name(), NamespaceProperty = pod.Namespace(), Uid = pod.Metadata?.Uid },
                Target = new V1ObjectReference { ApiVersion = "v1", Kind = "Node", Name = node },
            };
            try
            {
                await ApiCalls.RetryAsync(c => client.CoreV1.CreateNamespacedPodBindingAsync(binding, pod.Name(), pod.Namespace(), cancellationToken: c),
                    $"binding of pod {name}", log, time, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiCalls.IsStatus(e, HttpStatusCode.Conflict) || ApiCalls.IsStatus(e, HttpStatusCode.NotFound))
            {
                // Bound by someone else meanwhile, or gone: the watch will say which.
                log.LogDebug("Binding pod {Pod} was refused: {Error}", name, ApiCalls.Describe(e));
                return;
            }
            var bound = KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(pod));
            bound.Spec.NodeName = node;
            assumed[pod.Metadata!.Uid] = bound;
            placed.Add(bound);
            log.LogInformation("Bound pod {Pod} to {Node}", name, node);
            await events.RecordAsync(EventTarget.Of(pod), EventRecorder.Normal, "Scheduled", $"Successfully assigned {name} to {node}", ct).ConfigureAwait(false);
            return;
        }

        var message = result.Message!;
        var existing = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        if (existing is { Status: "False", Reason: "Unschedulable" } && existing.Message == message) return;
        var conditions = (pod.Status?.Conditions ?? []).Where(c => c.Type != "PodScheduled").ToList();
        conditions.Add(new V1PodCondition
        {
            Type = "PodScheduled",
            Status = "False",
            Reason = "Unschedulable",
            Message = message,
            LastTransitionTime = time.GetUtcNow().UtcDateTime,
        });
        try
        {
            var written = await ApiCalls.RetryAsync(c => client.CoreV1.PatchNamespacedPodStatusAsync(
                new V1Patch(new { status = new { conditions } }, V1Patch.PatchType.MergePatch), pod.Name(), pod.Namespace(), cancellationToken: c),
                $"status of pod {name}", log, time, ct).ConfigureAwait(false);
            pods.Observe(written);
        }
        catch (Exception e) when (ApiCalls.IsStatus(e, HttpStatusCode.NotFound))
        {
            return;
        }
        log.LogInformation("Pod {Pod} is unschedulable: {Message}", name, message);
        await events.RecordAsync(EventTarget.Of(pod), EventRecorder.Warning, "FailedScheduling", message, ct).ConfigureAwait(false);
    }
}
