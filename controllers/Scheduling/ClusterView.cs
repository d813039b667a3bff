using Microsoft.Extensions.Logging;
using Runai.Core.Hosting;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Runtime;
using Runai.Core.Scheduling;
using Runai.Core.Workloads;

namespace Runai.Controllers.Scheduling;

/// <summary>
/// The cached objects a scheduling pass reads, shared by runai-scheduler and workload-overseer: nodes, pods, projects,
/// the workload kinds (for gangs and owner references) and pod groups.
/// Any change sets <see cref="Changed"/>, so a pass runs soon after the cluster moves.
/// </summary>
internal sealed class ClusterView
{
    public ClusterView(InformerFactory informers)
    {
        Pods = informers.Get(ResourceClient.Pods);
        Nodes = informers.Get(ResourceClient.Nodes);
        Projects = informers.Get(ResourceClient.Custom<Project>());
        PodGroups = informers.Get(ResourceClient.Custom<PodGroup>());
        MpiJobs = informers.Get(ResourceClient.Custom<MpiJob>());
        RunaiJobs = informers.Get(ResourceClient.Custom<RunaiJob>());
        Trainings = informers.Get(ResourceClient.Custom<TrainingWorkload>());
        Inferences = informers.Get(ResourceClient.Custom<InferenceWorkload>());
        Interactives = informers.Get(ResourceClient.Custom<InteractiveWorkload>());
        Pods.AddHandler(_ => Changed.Set());
        Nodes.AddHandler(_ => Changed.Set());
        Projects.AddHandler(_ => Changed.Set());
        MpiJobs.AddHandler(_ => Changed.Set());
        RunaiJobs.AddHandler(_ => Changed.Set());
        Trainings.AddHandler(_ => Changed.Set());
        Inferences.AddHandler(_ => Changed.Set());
        Interactives.AddHandler(_ => Changed.Set());
    }

    public ChangeSignal Changed { get; } = new();
    public SharedInformer<V1Pod> Pods { get; }
    public SharedInformer<V1Node> Nodes { get; }
    public SharedInformer<Project> Projects { get; }
    public SharedInformer<PodGroup> PodGroups { get; }
    public SharedInformer<MpiJob> MpiJobs { get; }
    public SharedInformer<RunaiJob> RunaiJobs { get; }
    public SharedInformer<TrainingWorkload> Trainings { get; }
    public SharedInformer<InferenceWorkload> Inferences { get; }
    public SharedInformer<InteractiveWorkload> Interactives { get; }

    public async Task WaitForSyncAsync(CancellationToken ct) => await Task.WhenAll(
        Pods.WaitForSyncAsync(ct), Nodes.WaitForSyncAsync(ct), Projects.WaitForSyncAsync(ct), PodGroups.WaitForSyncAsync(ct),
        MpiJobs.WaitForSyncAsync(ct), RunaiJobs.WaitForSyncAsync(ct), Trainings.WaitForSyncAsync(ct),
        Inferences.WaitForSyncAsync(ct), Interactives.WaitForSyncAsync(ct)).ConfigureAwait(false);

    /// <summary>The workload object a pod belongs to, as the scheduler reads it; null when it is not (yet) cached.</summary>
    public WorkloadInfo? Workload(WorkloadRef r) => r.Kind switch
    {
        MpiJob.KubeKind => MpiJobs.Get(r.Namespace, r.Name) is { } j ? WorkloadInfo.From(j) : null,
        RunaiJob.KubeKind => RunaiJobs.Get(r.Namespace, r.Name) is { } w ? WorkloadInfo.From(w) : null,
        TrainingWorkload.KubeKind => Trainings.Get(r.Namespace, r.Name) is { } t ? WorkloadInfo.From(t) : null,
        InferenceWorkload.KubeKind => Inferences.Get(r.Namespace, r.Name) is { } i ? WorkloadInfo.From(i) : null,
        InteractiveWorkload.KubeKind => Interactives.Get(r.Namespace, r.Name) is { } n ? WorkloadInfo.From(n) : null,
        _ => null,
    };

    /// <summary>The cached workload object itself (for its annotations and uid); null when not cached.</summary>
    public k8s.IKubernetesObject<V1ObjectMeta>? WorkloadObject(WorkloadRef r) => r.Kind switch
    {
        MpiJob.KubeKind => MpiJobs.Get(r.Namespace, r.Name),
        RunaiJob.KubeKind => RunaiJobs.Get(r.Namespace, r.Name),
        TrainingWorkload.KubeKind => Trainings.Get(r.Namespace, r.Name),
        InferenceWorkload.KubeKind => Inferences.Get(r.Namespace, r.Name),
        InteractiveWorkload.KubeKind => Interactives.Get(r.Namespace, r.Name),
        _ => null,
    };

    public (ClusterSnapshot Snapshot, SnapshotContext Context) Snapshot(SchedulingPolicy policy, IReadOnlyDictionary<string, AssumedPod>? assumed) =>
        SnapshotBuilder.Build(Nodes.List(), Projects.List(), Pods.List(), Workload, policy, assumed);
}

/// <summary>An auto-reset signal a pass waits on: set by any number of changes, consumed once.</summary>
internal sealed class ChangeSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Set()
    {
        try
        {
            if (_signal.CurrentCount == 0) _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already set by a concurrent change: one pass covers both.
        }
    }

    /// <summary>Waits until set or <paramref name="timeout"/> passes; true when it was set.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

/// <summary>
/// The leading part of runai-scheduler and workload-overseer alike: fresh informers behind a <see cref="ClusterView"/>,
/// the loop started once the caches are in, everything stopped when the lease is lost.
/// </summary>
internal static class ClusterViewRun
{
    /// <param name="loop">Builds the component's loop over the view; runs until the token is cancelled.</param>
    public static async Task RunAsync(ComponentContext context, CancellationToken leading, string loggerName, string work,
        Func<ClusterView, ILogger, Func<CancellationToken, Task>> loop)
    {
        var log = context.Loggers.CreateLogger(loggerName);
        var informers = new InformerFactory(context.Kubernetes, context.Component, context.Loggers);
        var view = new ClusterView(informers);
        var run = loop(view, log);
        var running = informers.RunAsync(leading);
        try
        {
            await view.WaitForSyncAsync(leading).ConfigureAwait(false);
            log.LogInformation("{Component} leads as {Identity}: caches synced, {Work}", context.Component, context.Identity, work);
            await run(leading).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
        }
        finally
        {
            await running.ConfigureAwait(false);
            log.LogInformation("{Component} stops: no longer leading", context.Component);
        }
    }
}

