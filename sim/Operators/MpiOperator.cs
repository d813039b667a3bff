using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Sim.Operators.Internal;
using EventRecorder = Runai.Core.Runtime.EventRecorder;

namespace Runai.Sim.Operators;

/// <summary>
/// Stands in for the Kubeflow MPI operator (kubeflow.org/v2beta1 MPIJob): watches MPIJobs and the pods it made,
/// and carries out <see cref="MpiJobReconciler.Plan"/> — pod creation and deletion, and status through
/// <c>/status</c>. Level-triggered: every change (or a 30 s resync) reconciles every job from the caches.
/// </summary>
internal sealed class MpiOperator
{
    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);

    private readonly IKubernetes client;
    private readonly ILoggerFactory loggers;
    private readonly ILogger log;
    private readonly TimeProvider time;
    private readonly EventRecorder events;
    // Pods this operator deleted that the watch may still show (client-go's "expectations"), by uid.
    private readonly HashSet<string> deleting = [];

    public MpiOperator(IKubernetes client, ILoggerFactory loggers, TimeProvider? time = null)
    {
        this.client = client;
        this.loggers = loggers;
        this.time = time ?? TimeProvider.System;
        log = loggers.CreateLogger<MpiOperator>();
        events = new EventRecorder(client, KubeflowLabels.MpiOperator, log, this.time);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var changed = new Signal();
        var jobs = new Informer<JsonObject>(Sources.Custom(client, MpiJob.KubeGroup, MpiJob.KubeApiVersion, MpiJob.KubePluralName), changed, time,
            loggers.CreateLogger("Runai.Sim.Operators.MpiOperator.Jobs"));
        var pods = new Informer<V1Pod>(Sources.Pods(client, labelSelector: $"{KubeflowLabels.OperatorName}={KubeflowLabels.MpiOperator}"), changed, time,
            loggers.CreateLogger("Runai.Sim.Operators.MpiOperator.Pods"));
        try
        {
            await Task.WhenAll(jobs.RunAsync(ct), pods.RunAsync(ct), ReconcileLoopAsync(jobs, pods, changed, ct)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task ReconcileLoopAsync(Informer<JsonObject> jobs, Informer<V1Pod> pods, Signal changed, CancellationToken ct)
    {
        await Task.WhenAll(jobs.Synced, pods.Synced).WaitAsync(ct).ConfigureAwait(false);
        var backoff = TimeSpan.Zero;
        while (!ct.IsCancellationRequested)
        {
            var failed = false;
            var allPods = pods.Items;
            deleting.IntersectWith(allPods.Select(p => p.Metadata?.Uid ?? ""));
            foreach (var json in jobs.Items)
            {
                MpiJob job;
                try
                {
                    job = KubernetesJson.Deserialize<MpiJob>(json.ToJsonString());
                }
                catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException)
                {
                    log.LogWarning("MPIJob {Namespace}/{Name} cannot be read: {Error}", json["metadata"]?["namespace"], json["metadata"]?["name"], e.Message);
                    continue;
                }
                if (job.Metadata?.DeletionTimestamp is not null) continue;
                var owned = allPods.Where(p => p.Metadata?.OwnerReferences?.Any(o => o.Controller == true && o.Uid == job.Metadata?.Uid) == true
                                               && !deleting.Contains(p.Metadata.Uid)).ToList();
                try
                {
                    await ApplyAsync(jobs, job, MpiJobReconciler.Plan(job, owned, time.GetUtcNow()), ct).ConfigureAwait(false);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    failed = true;
                    log.LogWarning("Reconciling MPIJob {Namespace}/{Name} failed: {Error}", job.Namespace(), job.Name(), ApiCalls.Describe(e));
                }
            }
            // A failed pass (a webhook refusing pods, say) is retried with back-off, as the operator's rate-limited queue does.
            backoff = failed ? TimeSpan.FromTicks(Math.Clamp(backoff.Ticks * 2, FirstRetry.Ticks, Resync.Ticks)) : TimeSpan.Zero;
            await changed.WaitAsync(failed ? backoff : Resync, time, ct).ConfigureAwait(false);
        }
    }

    private async Task ApplyAsync(Informer<JsonObject> jobs, MpiJob job, IReadOnlyList<MpiAction> actions, CancellationToken ct)
    {
        var ns = job.Namespace();
        var id = $"{ns}/{job.Name()}";
        foreach (var action in actions)
        {
            switch (action)
            {
                case UpdateStatus update:
                    var before = job.Status;
                    var patch = new V1Patch(new { status = update.Status }, V1Patch.PatchType.MergePatch);
                    var written = await ApiCalls.RetryAsync(c => client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
                        patch, MpiJob.KubeGroup, MpiJob.KubeApiVersion, ns, MpiJob.KubePluralName, job.Name(), cancellationToken: c),
                        $"status of MPIJob {id}", log, time, ct).ConfigureAwait(false);
                    if (Sources.ToJsonObject(written) is { } obj) jobs.Observe(obj);
                    log.LogDebug("MPIJob {Job}: status written", id);
                    await ReportTransitionsAsync(job, before, update.Status, ct).ConfigureAwait(false);
                    break;
                case CreatePod create:
                    try
                    {
                        await ApiCalls.RetryAsync(c => client.CoreV1.CreateNamespacedPodAsync(create.Pod, ns, cancellationToken: c),
                            $"creation of pod {ns}/{create.Pod.Name()}", log, time, ct).ConfigureAwait(false);
                        log.LogInformation("MPIJob {Job}: created pod {Pod}", id, create.Pod.Name());
                        await events.RecordAsync(job, "Normal", "SuccessfulCreatePod", $"Created pod: {create.Pod.Name()}", ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (ApiCalls.IsStatus(e, HttpStatusCode.Conflict))
                    {
                        log.LogDebug("MPIJob {Job}: pod {Pod} exists already", id, create.Pod.Name());
                    }
                    break;
                case DeletePod delete:
                    try
                    {
                        var pod = await ApiCalls.RetryAsync(c => client.CoreV1.DeleteNamespacedPodAsync(delete.Name, ns,
                            new V1DeleteOptions { PropagationPolicy = "Background" }, cancellationToken: c),
                            $"deletion of pod {ns}/{delete.Name}", log, time, ct).ConfigureAwait(false);
                        if (pod?.Metadata?.Uid is { } uid) deleting.Add(uid);
                        log.LogInformation("MPIJob {Job}: deleted pod {Pod} ({Why})", id, delete.Name, delete.Why);
                    }
                    catch (Exception e) when (ApiCalls.IsStatus(e, HttpStatusCode.NotFound))
                    {
                    }
                    break;
            }
        }
    }

    private async Task ReportTransitionsAsync(MpiJob job, MpiJobStatus? before, MpiJobStatus after, CancellationToken ct)
    {
        foreach (var condition in after.Conditions ?? [])
        {
            var old = before?.Conditions?.FirstOrDefault(c => c.Type == condition.Type);
            if (old?.Status == condition.Status && old.Reason == condition.Reason) continue;
            if (condition.Status != ConditionStatus.True && condition.Reason != "MPIJobResumed") continue;
            log.LogInformation("MPIJob {Namespace}/{Name}: {Type} ({Reason}) {Message}", job.Namespace(), job.Name(), condition.Type, condition.Reason, condition.Message);
            var type = condition.Type == MpiJobConditionTypes.Failed ? "Warning" : "Normal";
            await events.RecordAsync(job, type, condition.Reason ?? condition.Type, condition.Message ?? condition.Type, ct).ConfigureAwait(false);
        }
    }
}
