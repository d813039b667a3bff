using System.Diagnostics;
using Runai.NodeDaemon.Attribution;
using Runai.NodeDaemon.Dcgm;
using Runai.NodeDaemon.Exposition;
using Runai.NodeDaemon.Gpus;
using Runai.NodeDaemon.Kube;
using Runai.NodeDaemon.Nvml;

namespace Runai.NodeDaemon.Hosting;

/// <summary>
/// runai-node-exporter put together: one collector thread samples the GPUs every interval (NVML, or the DCGM
/// fallback while NVML is unusable), renders the page and waits for Xid events until the next sample; GPU
/// attribution and the node labels run beside it on the thread pool; the metrics server answers scrapes.
/// </summary>
internal sealed class NodeExporter : IAsyncDisposable
{
    private readonly DaemonOptions options;
    private readonly NvmlCollector nvml;
    private readonly DcgmSource? dcgm;
    private readonly KubeApi? api;
    private readonly PodResourcesReader kubelet;
    private readonly GpuAttribution attribution;
    private readonly NodeLabeler? labeler;
    private readonly NodeExposition exposition;
    private readonly ExporterHealth health;
    private readonly MetricsServer server;
    private readonly CancellationTokenSource stop = new();
    private readonly TimeProvider time = TimeProvider.System;
    private volatile IReadOnlyList<GpuInventoryEntry> inventory = [];
    private int inventoryVersion = -1;
    private TelemetrySource lastSource = TelemetrySource.None;
    private Thread? collector;
    private readonly List<Task> background = [];

    public NodeExporter(DaemonOptions options)
    {
        this.options = options;
        nvml = new NvmlCollector(options.NvmlLibrary, time);
        dcgm = options.DcgmUrl is null ? null : new DcgmSource(options.DcgmUrl, TimeSpan.FromSeconds(Math.Max(1, options.Interval.TotalSeconds)));
        api = KubeApi.Create(options.Kubeconfig, out var problem);
        if (api is null) Log.Warn($"No Kubernetes API: {problem}; pods get no workload label and node labels are not kept");
        kubelet = new PodResourcesReader(options.PodResourcesSocket);
        attribution = new GpuAttribution(kubelet, api, options.AttributionInterval);
        if (api is not null && options.NodeLabels) labeler = new NodeLabeler(api, options.Node, () => inventory);
        exposition = new NodeExposition(options.Node, options.DcgmNames);
        health = new ExporterHealth { NvmlErrors = nvml.Errors };
        server = new MetricsServer(options.Listen, Page);
    }

    public MetricsPage Page { get; } = new();

    public System.Net.IPEndPoint MetricsEndPoint => server.LocalEndPoint;

    public NodeLabeler? Labeler => labeler;

    public void Start()
    {
        server.Start();
        Log.Info($"runai-node-exporter for node {options.Node}: metrics on http://{server.LocalEndPoint}/metrics, sampling every {options.Interval.TotalMilliseconds:0} ms, " +
                 $"pod-resources {options.PodResourcesSocket}, DCGM fallback {(dcgm is null ? "off" : dcgm.Url.ToString())}");
        // First page before the first scrape can come.
        Tick();
        collector = new Thread(Run) { IsBackground = true, Name = "gpu-collector" };
        collector.Start();
        background.Add(attribution.RunAsync(stop.Token));
        if (labeler is not null) background.Add(labeler.RunAsync(TimeSpan.FromSeconds(1), stop.Token));
    }

    private void Run()
    {
        while (!stop.IsCancellationRequested)
        {
            var next = time.GetTimestamp() + (long)(options.Interval.TotalSeconds * time.TimestampFrequency);
            nvml.WaitForEvents(next, stop.Token);
            if (stop.IsCancellationRequested) break;
            Tick();
        }
        nvml.Shutdown();
    }

    /// <summary>One sample of every GPU from the live source, then the page.</summary>
    private void Tick()
    {
        var started = Stopwatch.GetTimestamp();
        IReadOnlyList<GpuState> gpus;
        TelemetrySource source;
        int version;
        if (nvml.EnsureStarted())
        {
            nvml.Sample();
            gpus = nvml.Gpus;
            source = TelemetrySource.Nvml;
            version = nvml.InventoryVersion;
        }
        else if (dcgm is not null && IsNoDriver(nvml.Status))
        {
            source = dcgm.Poll(stop.Token) ? TelemetrySource.Dcgm : TelemetrySource.None;
            gpus = dcgm.Gpus;
            version = dcgm.InventoryVersion;
        }
        else
        {
            gpus = nvml.Gpus;
            source = TelemetrySource.None;
            version = nvml.InventoryVersion;
        }

        var sourceChanged = source != lastSource;
        if (sourceChanged)
        {
            Log.Info($"Telemetry source: {source.ToString().ToLowerInvariant()}" + (source == TelemetrySource.Dcgm ? $" (NVML: {nvml.Problem})" : ""));
            lastSource = source;
        }

        // The inventory for the node labels follows the source, identity changes and the first memory figures.
        if (sourceChanged || version != inventoryVersion || inventory.Count != gpus.Count || MemoryNewlyKnown(gpus))
        {
            inventoryVersion = version;
            inventory = NodeGpuLabels.Inventory(gpus);
        }

        health.Source = source;
        health.DcgmScrapeErrors = dcgm?.Errors ?? 0;
        health.PodResourcesUp = attribution.Up;
        health.NodeLabelUpdates = labeler?.Updates ?? 0;
        health.LastSampleSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        exposition.Render(Page.Back, gpus, attribution.Current, health);
        Page.Publish();
    }

    private static bool IsNoDriver(NvmlStatus status) => status is NvmlStatus.LibraryMissing or NvmlStatus.DriverMissing;

    private bool MemoryNewlyKnown(IReadOnlyList<GpuState> gpus)
    {
        var known = inventory;
        for (var i = 0; i < gpus.Count && i < known.Count; i++)
        {
            if (known[i].MemoryTotalBytes != gpus[i].MemoryTotalBytes && (gpus[i].Present & GpuFields.MemoryTotal) != 0) return true;
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        collector?.Join(TimeSpan.FromSeconds(5));
        try
        {
            await Task.WhenAll(background).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.Warn("Background loops did not stop within 5 s");
        }
        await server.DisposeAsync().ConfigureAwait(false);
        kubelet.Dispose();
        api?.Dispose();
        stop.Dispose();
    }
}
