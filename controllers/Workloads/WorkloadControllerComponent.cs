using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Runai.Controllers.Projects;
using Runai.Core;
using Runai.Core.Hosting;
using Runai.Core.Resources;
using Runai.Core.Runtime;
using Runai.Core.Workloads;

namespace Runai.Controllers.Workloads;

/// <summary>
/// workload-controller (SPEC §1): keeps the <c>runai-*</c> annotations on every workload, MPIJobs included, and
/// reconciles the four Run:ai workload kinds into the Kubernetes objects that run them. Each kind has its own
/// <see cref="Controller{T}"/> on shared informers; pods, pod groups and node GPU-memory labels map back to the
/// workloads they describe, so a change reaches the annotations within one reconcile.
/// </summary>
internal sealed class WorkloadControllerComponent : IComponent
{
    /// <summary>Retries of a failing workload back off to at most this, so a restored permission is noticed soon.</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);

    /// <summary>Reconciles in flight per kind: each is mostly one annotation patch waiting on the API server.</summary>
    internal const int Workers = 8;

    public string Name => RunaiComponents.WorkloadController;

    public async Task RunAsync(ComponentContext context, CancellationToken leading)
    {
        var log = context.Loggers.CreateLogger("Runai.WorkloadController");
        var informers = new InformerFactory(context.Kubernetes, Name, context.Loggers);
        var index = new WorkloadIndex(informers);
        var writer = new AnnotationWriter(context.Kubernetes);
        var queue = WorkQueueOptions.Default with { MaxRetryDelay = MaxRetryDelay };

        var events = new EventRecorder(context.Kubernetes, Name, log);
        var mpiJobs = Watch(new Controller<MpiJob>(informers, ResourceClient.Custom<MpiJob>(),
            new MpiJobAnnotator(index, writer, events, log), new ControllerOptions { Name = "mpijob", Queue = queue, Workers = Workers }, loggers: context.Loggers),
            index, MpiJob.KubeKind);

        var owned = new OwnedObjects(informers);
        Task Run<T>(string name) where T : class, IRunaiWorkload
        {
            var kind = typeof(T).Name;
            var reconciler = new RunaiWorkloadReconciler<T>(context.Kubernetes, index, owned, writer, events, log);
            var controller = Watch(new Controller<T>(informers, ResourceClient.Custom<T>(), reconciler,
                new ControllerOptions { Name = name, Queue = queue, Workers = Workers }, loggers: context.Loggers), index, kind);
            controller
                .Watches(ResourceClient.Jobs, o => OwnedBy(o.Metadata, kind))
                .Watches(ResourceClient.Deployments, o => OwnedBy(o.Metadata, kind))
                .Watches(ResourceClient.Services, o => OwnedBy(o.Metadata, kind))
                .Watches(ResourceClient.PersistentVolumeClaims, o => OwnedBy(o.Metadata, kind))
                // A project appearing (or changing namespace) makes its namespace's workloads valid or invalid.
                .Watches(ResourceClient.Custom<Project>(), p => controller.Informer.List()
                    .Where(w => w.Metadata.NamespaceProperty == p.EffectiveNamespace).Select(w => ObjectKey.Of(w)));
            return controller.RunAsync(leading);
        }

        // Projects are Run:ai objects too: each gets its namespace, labelled so runai-admission reviews its pods.
        var projects = ProjectController.Create(informers, context.Loggers);

        log.LogInformation("workload-controller leads as {Identity}: projects, Run:ai workloads and MPIJob annotations", context.Identity);
        await Task.WhenAll(
            informers.RunAsync(leading),
            projects.RunAsync(leading),
            mpiJobs.RunAsync(leading),
            Run<RunaiJob>("runaijob"),
            Run<TrainingWorkload>("trainingworkload"),
            Run<InferenceWorkload>("inferenceworkload"),
            Run<InteractiveWorkload>("interactiveworkload")).ConfigureAwait(false);
        log.LogInformation("workload-controller stops: no longer leading");
    }

    private static IEnumerable<string> OwnedBy(V1ObjectMeta meta, string kind) =>
        WorkloadIdentity.OfObject(meta) is { } w && w.Kind == kind ? [ObjectKey.Of(w.Namespace, w.Name)] : [];

    /// <summary>Feeds a controller from the pods, pod groups and node labels that belong to its kind's workloads.</summary>
    private static Controller<T> Watch<T>(Controller<T> controller, WorkloadIndex index, string kind)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        controller
            .Watches(ResourceClient.Pods, pod => WorkloadIdentity.Of(pod) is { } w && w.Kind == kind ? [ObjectKey.Of(w.Namespace, w.Name)] : [])
            .Watches(ResourceClient.Custom<PodGroup>(), group => WorkloadIndex.OwnerOf(group) is { } w && w.Kind == kind ? [ObjectKey.Of(w.Namespace, w.Name)] : [])
            // Nodes change every heartbeat; only a changed GPU memory label moves an annotation (below). Registering
            // the watch still makes the controller wait for the node cache before its first reconcile.
            .Watches(ResourceClient.Nodes, _ => []);
        index.Nodes.AddHandler(e =>
        {
            if (e.Type == InformerEventType.Updated && WorkloadObservation.GpuMemoryOf(e.Object) == WorkloadObservation.GpuMemoryOf(e.Previous)) return;
            foreach (var w in index.WorkloadsOn(e.Object.Metadata?.Name ?? ""))
                if (w.Kind == kind) controller.Queue.Add(ObjectKey.Of(w.Namespace, w.Name));
        });
        return controller;
    }
}
