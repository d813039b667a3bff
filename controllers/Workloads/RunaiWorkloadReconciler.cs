using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Runtime;
using Runai.Core.Workloads;

namespace Runai.Controllers.Workloads;

/// <summary>The caches of the objects Run:ai workloads own, shared by the four kinds' reconcilers.</summary>
internal sealed class OwnedObjects(InformerFactory informers)
{
    public SharedInformer<Project> Projects { get; } = informers.Get(ResourceClient.Custom<Project>());
    public SharedInformer<V1Job> Jobs { get; } = informers.Get(ResourceClient.Jobs);
    public SharedInformer<V1Deployment> Deployments { get; } = informers.Get(ResourceClient.Deployments);
    public SharedInformer<V1Service> Services { get; } = informers.Get(ResourceClient.Services);
    public SharedInformer<V1PersistentVolumeClaim> Claims { get; } = informers.Get(ResourceClient.PersistentVolumeClaims);

    /// <summary>The project whose namespace holds <paramref name="ns"/>, if any.</summary>
    public Project? ProjectOf(string ns) => Projects.List().FirstOrDefault(p => p.EffectiveNamespace == ns);
}

/// <summary>
/// Reconciles one Run:ai workload kind: checks the spec, makes the objects of SPEC §2 (or stops them while
/// suspended), keeps the <c>runai-*</c> annotations, and writes <c>status</c> (phase, conditions with reasons,
/// observedGeneration, start and completion times). A refused API call (RBAC) becomes a <c>Reconciled=False</c>
/// condition with reason <c>Forbidden</c> and an Event, and is retried until the permission is back.
/// </summary>
internal sealed class RunaiWorkloadReconciler<T>(
    IKubernetes api, WorkloadIndex index, OwnedObjects owned, AnnotationWriter annotations, EventRecorder events, ILogger log) : IReconciler<T>
    where T : class, IRunaiWorkload
{
    public const string InvalidSpec = "InvalidSpec";
    public const string Forbidden = "Forbidden";

    public async Task<ReconcileResult> ReconcileAsync(T workload, CancellationToken ct)
    {
        var ns = workload.Metadata.NamespaceProperty ?? "";
        var name = workload.Metadata.Name;
        var id = new WorkloadRef(workload.KindInfo.Kind, ns, name);
        var project = owned.ProjectOf(ns);
        var problems = WorkloadSpecCheck.Problems(workload, project is not null);
        var conditions = new ConditionSet(workload.Status?.Conditions);
        var deleting = workload.Metadata.DeletionTimestamp is not null;

        if (problems.Count > 0)
        {
            var message = string.Join("; ", problems);
            conditions.Set(WorkloadConditionTypes.Valid, false, InvalidSpec, message);
            await events.RecordAsync(workload, EventRecorder.Warning, InvalidSpec, message, ct, once: true).ConfigureAwait(false);
        }
        else
        {
            conditions.Set(WorkloadConditionTypes.Valid, true, "SpecValid", "The spec can be run.");
            events.Clear(workload, InvalidSpec);
            if (!deleting)
            {
                try
                {
                    await EnsureObjectsAsync(workload, project!.Metadata.Name, conditions, ct).ConfigureAwait(false);
                    conditions.Set(WorkloadConditionTypes.Reconciled, true, "ObjectsReady",
                        workload.CommonSpec.Suspend ? "Suspended: the workload's pods are stopped." : "The workload's objects exist.");
                    events.Clear(workload, Forbidden);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
                {
                    var message = $"the API server refused workload-controller: 403 Forbidden to {e.Request?.Method} {e.Request?.RequestUri?.AbsolutePath}; " +
                        $"grant it in ClusterRole {RunaiComponents.WorkloadController}";
                    conditions.Set(WorkloadConditionTypes.Reconciled, false, Forbidden, message);
                    await events.RecordAsync(workload, EventRecorder.Warning, Forbidden, message, ct, once: true).ConfigureAwait(false);
                    await WriteStatusQuietlyAsync(workload, conditions, ct).ConfigureAwait(false);
                    throw; // counted in runai_controller_api_forbidden_total and retried with back-off
                }
            }
        }

        var pods = index.PodsOf(id);
        var outcome = OutcomeOf(workload, pods, conditions);
        var observation = WorkloadObservation.For(workload, pods, index.NodeGpuMemoryMiB, index.PodGroupOf(id), outcome);
        var state = WorkloadState.Of(observation);
        if (problems.Count > 0 && !deleting) state = state with { Status = WorkloadStatus.Failed };

        await annotations.WriteAsync(workload.KindInfo, ns, name, state.ChangesFrom(workload.Metadata.Annotations), ct).ConfigureAwait(false);
        var status = NewStatus(workload, state, observation, outcome, conditions);
        if (status.Phase != workload.Status?.Phase)
            log.LogInformation("{Workload} is {Status}", id, status.Phase);
        await WriteStatusAsync(workload, status, ct).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    public Task DeletedAsync(T entity, CancellationToken ct) => Task.CompletedTask; // owner references remove what it made

    /// <summary>Creates what is missing; while suspended removes the pods (Services and claims stay for the resume).</summary>
    private async Task EnsureObjectsAsync(T workload, string project, ConditionSet conditions, CancellationToken ct)
    {
        var ns = workload.Metadata.NamespaceProperty!;
        var name = workload.Metadata.Name;
        var suspended = workload.CommonSpec.Suspend;
        var finished = conditions.IsTrue(WorkloadConditionTypes.Completed) || conditions.IsTrue(WorkloadConditionTypes.Failed);

        if (WorkloadObjects.NeedsService(workload) && owned.Services.Get(ns, name) is null)
            await CreateAsync(() => api.CoreV1.CreateNamespacedServiceAsync(WorkloadObjects.Service(workload, project), ns, cancellationToken: ct)).ConfigureAwait(false);
        if (workload is InteractiveWorkload interactive && WorkloadObjects.Claim(interactive, project) is { } claim && owned.Claims.Get(ns, claim.Metadata.Name) is null)
            await CreateAsync(() => api.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(claim, ns, cancellationToken: ct)).ConfigureAwait(false);

        switch (workload)
        {
            case RunaiJob job:
                var existing = owned.Jobs.Get(ns, name);
                if (suspended && existing is not null)
                    await DeleteAsync(() => api.BatchV1.DeleteNamespacedJobAsync(name, ns, propagationPolicy: "Background", cancellationToken: ct)).ConfigureAwait(false);
                else if (!suspended && existing is null && !finished)
                    await CreateAsync(() => api.BatchV1.CreateNamespacedJobAsync(WorkloadObjects.Job(job, project), ns, cancellationToken: ct)).ConfigureAwait(false);
                break;
            case InferenceWorkload inference:
                var deployment = owned.Deployments.Get(ns, name);
                var wanted = WorkloadObjects.Deployment(inference, project);
                if (deployment is null)
                    await CreateAsync(() => api.AppsV1.CreateNamespacedDeploymentAsync(wanted, ns, cancellationToken: ct)).ConfigureAwait(false);
                else if (deployment.Spec?.Replicas != wanted.Spec.Replicas)
                    await api.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(new JsonObject { ["spec"] = new JsonObject { ["replicas"] = wanted.Spec.Replicas } }.ToJsonString(), V1Patch.PatchType.MergePatch),
                        name, ns, cancellationToken: ct).ConfigureAwait(false);
                break;
            case TrainingWorkload training:
                var workers = Math.Max(1, training.Spec.Workers);
                await EnsurePodsAsync(workload, project, Enumerable.Range(0, workers).Select(i => (WorkloadObjects.WorkerName(name, i), (int?)i)), suspended || finished, ct).ConfigureAwait(false);
                break;
            case InteractiveWorkload:
                await EnsurePodsAsync(workload, project, [(name, null)], suspended || finished, ct).ConfigureAwait(false);
                break;
        }
    }

    private async Task EnsurePodsAsync(T workload, string project, IEnumerable<(string Name, int? Index)> wanted, bool stop, CancellationToken ct)
    {
        var ns = workload.Metadata.NamespaceProperty!;
        var pods = index.PodsOf(new WorkloadRef(workload.KindInfo.Kind, ns, workload.Metadata.Name)).ToDictionary(p => p.Metadata.Name, StringComparer.Ordinal);
        foreach (var (podName, podIndex) in wanted)
        {
            pods.TryGetValue(podName, out var pod);
            if (stop)
            {
                if (pod is not null && pod.Metadata.DeletionTimestamp is null && !WorkloadStateIsTerminal(pod))
                    await DeleteAsync(() => api.CoreV1.DeleteNamespacedPodAsync(podName, ns, cancellationToken: ct)).ConfigureAwait(false);
            }
            else if (pod is null)
            {
                // A missing member (never made, evicted or deleted) is made again; the gang runs Degraded meanwhile.
                var restart = workload.CommonSpec.BackoffLimit is > 0 ? "OnFailure" : "Never";
                await CreateAsync(() => api.CoreV1.CreateNamespacedPodAsync(WorkloadObjects.Pod(workload, project, podName, restart, podIndex), ns, cancellationToken: ct)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How the workload ended: once Completed or Failed it stays so; else from its Job or its pods.</summary>
    private static WorkloadOutcome OutcomeOf(T workload, IReadOnlyList<V1Pod> pods, ConditionSet conditions)
    {
        if (conditions.IsTrue(WorkloadConditionTypes.Completed)) return WorkloadOutcome.Succeeded;
        if (conditions.IsTrue(WorkloadConditionTypes.Failed)) return WorkloadOutcome.Failed;
        var live = pods.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
        switch (workload)
        {
            case RunaiJob:
                // The Job's pods end Succeeded or Failed; with OnFailure the kubelet restarts in place.
                if (live.Any(p => p.Status?.Phase == "Succeeded")) return WorkloadOutcome.Succeeded;
                var limit = workload.CommonSpec.BackoffLimit ?? 0;
                return live.Count(p => p.Status?.Phase == "Failed") > limit ? WorkloadOutcome.Failed : WorkloadOutcome.None;
            case TrainingWorkload t:
                if (live.Any(p => p.Status?.Phase == "Failed")) return WorkloadOutcome.Failed;
                return live.Count(p => p.Status?.Phase == "Succeeded") >= Math.Max(1, t.Spec.Workers) ? WorkloadOutcome.Succeeded : WorkloadOutcome.None;
            case InteractiveWorkload:
                return live.Any(p => p.Status?.Phase == "Succeeded") ? WorkloadOutcome.Succeeded
                    : live.Any(p => p.Status?.Phase == "Failed") ? WorkloadOutcome.Failed : WorkloadOutcome.None;
            default:
                return WorkloadOutcome.None;
        }
    }

    private static RunaiWorkloadStatus NewStatus(T workload, WorkloadState state, WorkloadObservation observation, WorkloadOutcome outcome, ConditionSet conditions)
    {
        var old = workload.Status;
        var now = DateTime.UtcNow;
        var counted = observation.CountedPods.Where(p => p.Status?.Phase is not ("Succeeded" or "Failed")).ToList();
        var scheduled = counted.Count >= observation.ExpectedPods && counted.All(p => !string.IsNullOrEmpty(p.Spec?.NodeName));
        // A finished workload keeps the placement it had: its pods ending is not a wait for a node.
        if (outcome == WorkloadOutcome.None)
            conditions.Set(WorkloadConditionTypes.Scheduled, scheduled, scheduled ? "GangPlaced" : "Waiting",
                scheduled ? "Every pod of the gang is bound to a node." : state.PendingReason ?? "Not every pod of the gang is bound to a node yet.");
        var running = state.Status is WorkloadStatus.Running or WorkloadStatus.Degraded;
        conditions.Set(WorkloadConditionTypes.Running, running, state.Status, running ? $"{state.RunningPods} pod(s) running." : $"The workload is {state.Status}.");
        if (outcome == WorkloadOutcome.Succeeded) conditions.Set(WorkloadConditionTypes.Completed, true, "Succeeded", "Every pod finished successfully.");
        if (outcome == WorkloadOutcome.Failed) conditions.Set(WorkloadConditionTypes.Failed, true, "PodFailed", "A pod of the workload failed and no retry is left.");
        conditions.Set(WorkloadConditionTypes.Suspended, workload.CommonSpec.Suspend, workload.CommonSpec.Suspend ? "Suspended" : "Active",
            workload.CommonSpec.Suspend ? "spec.suspend is true: the pods are stopped." : "spec.suspend is false.");
        return new RunaiWorkloadStatus
        {
            Phase = state.Status,
            Conditions = conditions.ToList(),
            ObservedGeneration = workload.Metadata.Generation,
            StartTime = old?.StartTime ?? (running ? now : null),
            CompletionTime = old?.CompletionTime ?? (WorkloadStatus.IsFinished(state.Status) && outcome != WorkloadOutcome.None ? now : null),
        };
    }

    private async Task WriteStatusAsync(T workload, RunaiWorkloadStatus status, CancellationToken ct)
    {
        var body = JsonNode.Parse(KubernetesJson.Serialize(status));
        var current = workload.Status is null ? null : JsonNode.Parse(KubernetesJson.Serialize(workload.Status));
        if (JsonNode.DeepEquals(body, current)) return;
        var patch = new JsonObject { ["status"] = body };
        var kind = workload.KindInfo;
        using var _ = await api.CustomObjects.PatchNamespacedCustomObjectStatusWithHttpMessagesAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch),
            kind.Group, kind.Version, workload.Metadata.NamespaceProperty, kind.Plural, workload.Metadata.Name, cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>Records the Forbidden condition if the status can still be written; the reconcile fails either way.</summary>
    private async Task WriteStatusQuietlyAsync(T workload, ConditionSet conditions, CancellationToken ct)
    {
        var status = workload.Status is null ? new RunaiWorkloadStatus() : KubernetesJson.Deserialize<RunaiWorkloadStatus>(KubernetesJson.Serialize(workload.Status));
        status.Conditions = conditions.ToList();
        try
        {
            await WriteStatusAsync(workload, status, ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            log.LogWarning("could not write the Forbidden condition on {Kind} {Namespace}/{Name}: {Status}", workload.Kind, workload.Metadata.NamespaceProperty, workload.Metadata.Name, (int)e.Response.StatusCode);
        }
    }

    private static bool WorkloadStateIsTerminal(V1Pod pod) => pod.Status?.Phase is "Succeeded" or "Failed";

    private static async Task CreateAsync<TResult>(Func<Task<TResult>> create)
    {
        try
        {
            await create().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Made already (the cache had not seen it yet).
        }
    }

    private static async Task DeleteAsync<TResult>(Func<Task<TResult>> delete)
    {
        try
        {
            await delete().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Gone already.
        }
    }
}

/// <summary>A workload's conditions being brought up to date: a transition time changes only when the status flips.</summary>
internal sealed class ConditionSet(IEnumerable<ResourceCondition>? existing)
{
    private readonly List<ResourceCondition> _conditions = existing?.Select(c => new ResourceCondition
    {
        Type = c.Type, Status = c.Status, Reason = c.Reason, Message = c.Message, LastTransitionTime = c.LastTransitionTime,
    }).ToList() ?? [];

    public bool IsTrue(string type) => _conditions.IsTrue(type);

    public void Set(string type, bool value, string reason, string message)
    {
        var status = value ? ConditionStatus.True : ConditionStatus.False;
        var condition = _conditions.Find(type);
        if (condition is null)
        {
            _conditions.Add(new ResourceCondition { Type = type, Status = status, Reason = reason, Message = message, LastTransitionTime = Now() });
            return;
        }

        if (condition.Status != status) condition.LastTransitionTime = Now();
        condition.Status = status;
        condition.Reason = reason;
        condition.Message = message;
    }

    public List<ResourceCondition> ToList() => [.. _conditions];

    // Whole seconds, as the API server stores times: a round trip compares equal.
    private static DateTime Now() => DateTime.UnixEpoch.AddSeconds(Math.Floor((DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds));
}
