using System.Diagnostics;
using System.IO.Compression;
using System.IO.Pipelines;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Prometheus;
using Runai.Core;
using Runai.Core.Hosting;
using Runai.Core.Resources;
using Runai.Core.Runtime;
using Runai.Core.Workloads;
using Runai.Exporter.Exposition;
using Runai.Exporter.Model;
using Runai.Hosting;

namespace Runai.Exporter;

/// <summary>
/// The workload-exporter component (SPEC §1, §4). While this replica leads, informers on workloads, pods, pod groups,
/// projects, nodes and the control-plane objects in <c>runai</c> feed the <see cref="ClusterModel"/>, whose pre-rendered
/// series <c>/metrics</c> concatenates; a standby serves only the process's own health series. Ready once every watch
/// has its first full list in.
/// </summary>
internal sealed class WorkloadExporter : IComponent, IComponentEndpoints
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private List<(string Kind, Func<int> Count, Func<bool> Synced)> _watched = [];
    private volatile bool _leading;
    private volatile bool _synced;

    public WorkloadExporter(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        Model = new ClusterModel { InvalidAnnotationsChanged = (annotation, count) => ExporterMetrics.InvalidAnnotations.WithLabels(annotation).Set(count) };
        LabelText.Bounded = reason => ExporterMetrics.LabelValuesBounded.WithLabels(reason switch
        {
            LabelBounding.Truncated => "truncated",
            LabelBounding.InvalidUnicode => "invalid_unicode",
            _ => "control_character",
        }).Inc();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(UpdateHealthGauges);
    }

    public string Name => RunaiComponents.WorkloadExporter;

    internal ClusterModel Model { get; }

    /// <summary>True while this replica leads and every watch has listed once.</summary>
    public bool Synced => _leading && _synced;

    /// <summary>Asked while leading: null once every watch has listed once; until then, which lists are missing.</summary>
    public string? NotReady
    {
        get
        {
            if (_synced) return null;
            List<(string Kind, Func<int> Count, Func<bool> Synced)> watched;
            lock (_gate) watched = _watched;
            var waiting = watched.Where(w => !w.Synced()).Select(w => w.Kind).ToList();
            return waiting.Count == 0
                ? "leading; starting its watches"
                : "leading; waiting for the first full list of " + string.Join(", ", waiting);
        }
    }

    public async Task RunAsync(ComponentContext context, CancellationToken leading)
    {
        var log = context.Loggers.CreateLogger("Runai.Exporter");
        var informers = new InformerFactory(context.Kubernetes, Name, context.Loggers);
        var subscriptions = new List<IDisposable>();
        var watched = new List<(string, Func<int>, Func<bool>)>();
        // Kinds from other projects' CRDs (Kubeflow's MPIJob, the scheduler's PodGroup) may not be installed: their
        // informers retry, and their series appear once they list, but readiness does not wait for them.
        void Watch<T>(string kind, SharedInformer<T> informer, Action<T> set, Action<T> remove, bool optional = false)
            where T : class, IKubernetesObject<V1ObjectMeta>
        {
            watched.Add((kind, () => informer.Count, optional ? () => true : () => informer.HasSynced));
            subscriptions.Add(informer.AddHandler(e => Apply(log, kind, e, set, remove)));
        }

        var runai = RunaiComponents.Namespace;
        Watch("pod", informers.Get(ResourceClient.Pods, PodTransform.Options), p => Model.SetPod(PodTransform.FactsOf(p)), p => Model.RemovePod(ObjectKey.Of(p)));
        Watch("node", informers.Get(ResourceClient.Nodes), n => Model.SetNode(NodeFacts.From(n)), n => Model.RemoveNode(n.Metadata.Name));
        Watch("project", informers.Get(ResourceClient.Custom<Project>()), p => Model.SetProject(ProjectFacts.From(p)), p => Model.RemoveProject(p.Metadata.Name));
        Watch("podgroup", informers.Get(ResourceClient.Custom<PodGroup>()), g => Model.SetPodGroup(PodGroupFacts.From(g)), g => Model.RemovePodGroup(ObjectKey.Of(g)), optional: true);
        WatchRunai<RunaiJob>(WorkloadKinds.RunaiJob);
        WatchRunai<TrainingWorkload>(WorkloadKinds.TrainingWorkload);
        WatchRunai<InferenceWorkload>(WorkloadKinds.InferenceWorkload);
        WatchRunai<InteractiveWorkload>(WorkloadKinds.InteractiveWorkload);
        Watch("mpijob", informers.Get(ResourceClient.Custom<MpiJob>(), WorkloadTransform.Options<MpiJob>(WorkloadFacts.From)),
            j => Model.SetWorkload(WorkloadTransform.FactsOf<MpiJob>(j, WorkloadFacts.From)), j => Model.RemoveWorkload(Ref(MpiJob.KubeKind, j)), optional: true);
        Watch("deployment", informers.Get(ResourceClient.Deployments, new InformerOptions<V1Deployment> { Namespace = runai }),
            d => Model.SetDeployment(d.Metadata.Name, d.Spec?.Replicas ?? 1, d.Status?.ReadyReplicas ?? 0), d => Model.RemoveDeployment(d.Metadata.Name));
        Watch("daemonset", informers.Get(ResourceClient.DaemonSets, new InformerOptions<V1DaemonSet> { Namespace = runai }),
            d => Model.SetDaemonSet(d.Metadata.Name, d.Status?.DesiredNumberScheduled ?? 0, d.Status?.NumberReady ?? 0), d => Model.RemoveDaemonSet(d.Metadata.Name));
        Watch("lease", informers.Get(ResourceClient.Leases, new InformerOptions<V1Lease> { Namespace = runai }),
            l => Model.SetLease(l.Metadata.Name, l.Spec?.HolderIdentity, WorkloadFacts.Utc(l.Spec?.RenewTime ?? l.Spec?.AcquireTime)), l => Model.RemoveLease(l.Metadata.Name));

        void WatchRunai<T>(WorkloadKindInfo kind)
            where T : class, IRunaiWorkload, new() => Watch(kind.Plural.TrimEnd('s'), informers.Get(ResourceClient.Custom<T>(), WorkloadTransform.Options<T>(WorkloadFacts.From)),
                w => Model.SetWorkload(WorkloadTransform.FactsOf<T>(w, WorkloadFacts.From)), w => Model.RemoveWorkload(Ref(kind.Kind, w)));

        lock (_gate) _watched = watched;
        Model.DeferRendering();
        _synced = false;
        _leading = true;
        log.LogInformation("workload-exporter leads as {Identity}: watching {Kinds}", context.Identity, string.Join(", ", watched.Select(w => w.Item1)));
        var started = Stopwatch.GetTimestamp();
        var running = informers.RunAsync(leading);
        try
        {
            await Task.WhenAll(watched.Select(w => WaitUntilAsync(w.Item3, leading))).ConfigureAwait(false);
            Model.RenderDeferred();
            // The first lists' pages are the exporter's memory peak and are garbage now: give that memory back at once
            // rather than whenever the next full collection happens to run.
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            _synced = true;
            log.LogInformation("workload-exporter has its first full lists in after {Ms:0} ms: {Workloads} workloads, {Series} series",
                Stopwatch.GetElapsedTime(started).TotalMilliseconds, Model.WorkloadCount, Model.Families.All.Sum(g => g.SeriesCount));
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
        }

        try
        {
            await running.ConfigureAwait(false);
        }
        finally
        {
            foreach (var s in subscriptions) s.Dispose();
            _leading = false;
            _synced = false;
            lock (_gate) _watched = [];
            // A standby serves no workload series: forget them the moment the lease is gone.
            Model.Clear();
            log.LogInformation("workload-exporter stops leading; its workload series are withdrawn");
        }
    }

    public async Task WriteMetricsAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var format = ExpositionFormats.Negotiate(context.Request.Headers.Accept);
        var gzip = ExpositionFormats.AcceptsGzip(context.Request.Headers.AcceptEncoding);
        context.Response.ContentType = ExpositionFormats.ContentType(format);
        // The body depends on both: OpenMetrics or text, gzip or not.
        context.Response.Headers.Vary = "Accept, Accept-Encoding";
        var ct = context.RequestAborted;
        if (!gzip)
        {
            // Straight into Kestrel's response pipe: no intermediate buffer, no awaited write per object. Hand-written
            // rather than ASP.NET Core's response compression, which routes uncompressed answers through a stream too.
            await WriteSeriesAsync(context.Response.BodyWriter, context.Response.Body, format, gzip, started, ct).ConfigureAwait(false);
            return;
        }

        // Prometheus asks for gzip by default: 25 MB of 200,000 series travel as about 1.2 MB. The fastest level
        // compresses them in about 25 ms; the best takes three times as long for a body 1.6 times smaller.
        context.Response.Headers.ContentEncoding = "gzip";
        await using var zip = new GZipStream(context.Response.Body, CompressionLevel.Fastest, leaveOpen: true);
        var output = PipeWriter.Create(zip, new StreamPipeWriterOptions(minimumBufferSize: ExpositionWriter.DefaultBlockSize, leaveOpen: true));
        Exception? failed = null;
        try
        {
            await WriteSeriesAsync(output, zip, format, gzip, started, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failed = e;
            throw;
        }
        finally
        {
            // Completing flushes what is buffered into the gzip stream, whose disposal then writes the trailer; after a
            // failure the pipe is completed with it and the response is cut short, as Kestrel does.
            await output.CompleteAsync(failed).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The workload series into <paramref name="output"/>, then the health series (prometheus-net's registry, last: in
    /// OpenMetrics it ends with the one <c># EOF</c>) into <paramref name="body"/>, the stream under the same pipe. Nothing
    /// more is written or counted once the scraper has gone.
    /// </summary>
    private async Task WriteSeriesAsync(PipeWriter output, Stream body, Exposition.ExpositionFormat format, bool gzip, long started, CancellationToken ct)
    {
        var writer = new ExpositionWriter(output);
        if (_leading && !await writer.WriteAsync(Model.Families.All, _time.GetUtcNow(), ct).ConfigureAwait(false)) return;
        ExporterMetrics.ScrapeBytes.Set(writer.Written);
        ExporterMetrics.ScrapeDuration.WithLabels(format == Exposition.ExpositionFormat.OpenMetrics ? "openmetrics" : "text", gzip ? "gzip" : "identity")
            .Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(body,
            format == Exposition.ExpositionFormat.OpenMetrics ? Prometheus.ExpositionFormat.OpenMetricsText : Prometheus.ExpositionFormat.PrometheusText, ct).ConfigureAwait(false);
    }

    private static WorkloadRef Ref(string kind, IKubernetesObject<V1ObjectMeta> o) => new(kind, o.Metadata.NamespaceProperty ?? "", o.Metadata.Name);

    private static void Apply<T>(ILogger log, string kind, InformerEvent<T> e, Action<T> set, Action<T> remove)
        where T : class
    {
        try
        {
            if (e.Type == InformerEventType.Deleted) remove(e.Object);
            else set(e.Object);
        }
        catch (Exception ex)
        {
            // One unreadable object must not stop the others; its last good series stay until it is fixed or deleted.
            ExporterMetrics.ObjectErrors.WithLabels(kind).Inc();
            log.LogWarning("cannot read {Kind} {Key}: {Problem}; keeping its last good series", kind, e.Key, ex.Message);
            return;
        }

        ExporterMetrics.EventToSeries.WithLabels(kind).Observe(Stopwatch.GetElapsedTime(e.ReceivedAt).TotalSeconds);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition()) await Task.Delay(50, ct).ConfigureAwait(false);
    }

    private void UpdateHealthGauges()
    {
        List<(string Kind, Func<int> Count, Func<bool> Synced)> watched;
        lock (_gate) watched = _watched;
        foreach (var (kind, count, _) in watched) ExporterMetrics.Objects.WithLabels(kind).Set(count());
        foreach (var group in Model.Families.All) ExporterMetrics.Series.WithLabels(group.Name).Set(group.SeriesCount);
        ExporterMetrics.Synced.Set(Synced ? 1 : 0);
        foreach (var resource in ControllerMetrics.WatchRestarts.GetAllLabelValues())
        {
            // The runtime counts restarts per component; mirror this component's under the exporter's own name.
            if (resource.Length == 3 && resource[0] == Name)
                ExporterMetrics.WatchRestarts.WithLabels(resource[1], resource[2]).IncTo(ControllerMetrics.WatchRestarts.WithLabels(resource).Value);
        }
    }
}
