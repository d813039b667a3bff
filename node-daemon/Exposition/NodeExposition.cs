using Runai.NodeDaemon.Attribution;
using Runai.NodeDaemon.Gpus;
using Runai.NodeDaemon.Nvml;

namespace Runai.NodeDaemon.Exposition;

/// <summary>Where the GPU series come from now (<c>runai_node_exporter_source</c>).</summary>
internal enum TelemetrySource
{
    None,
    Nvml,
    Dcgm,
}

/// <summary>What one page of the node exporter shows, beyond the GPUs themselves.</summary>
internal sealed class ExporterHealth
{
    public TelemetrySource Source { get; set; }
    public NvmlErrorCounts NvmlErrors { get; init; } = new();
    public ulong DcgmScrapeErrors { get; set; }
    public bool PodResourcesUp { get; set; }
    public ulong NodeLabelUpdates { get; set; }
    public double LastSampleSeconds { get; set; }
}

/// <summary>
/// Renders the node exporter's page (SPEC §4, runai-node-exporter) from the sampled GPUs, who holds them, and the
/// exporter's own health. Each GPU's label set is rendered to bytes once and again only when its identity or holder
/// changes, so a render allocates nothing in steady state.
/// </summary>
internal sealed class NodeExposition(string node, bool dcgmNames)
{
    private LabelSet[] labels = [];

    public void Render(ExpositionWriter w, IReadOnlyList<GpuState> gpus, GpuOwners owners, ExporterHealth health)
    {
        w.Reset();
        if (labels.Length != gpus.Count) labels = new LabelSet[gpus.Count];
        for (var i = 0; i < gpus.Count; i++)
        {
            var owner = owners.Of(gpus[i].Uuid);
            labels[i] ??= new LabelSet();
            labels[i].Refresh(gpus[i], owner, node);
        }

        Family(w, "runai_gpu_info"u8, "gauge"u8, "GPU identity and the pod holding it; always 1."u8);
        for (var i = 0; i < gpus.Count; i++) Sample(w, "runai_gpu_info"u8, labels[i].Runai, 1);

        Family(w, "runai_gpu_up"u8, "gauge"u8, "1 when the GPU answers its telemetry source, 0 when it is lost or the source is down."u8);
        for (var i = 0; i < gpus.Count; i++) Sample(w, "runai_gpu_up"u8, labels[i].Runai, gpus[i].Up ? 1 : 0);

        Gauge(w, gpus, GpuFields.Utilization, "runai_gpu_utilization_ratio"u8, "Fraction of the last sample period a kernel ran on the GPU (0-1)."u8, static g => g.UtilizationRatio);
        Gauge(w, gpus, GpuFields.MemoryUsed, "runai_gpu_memory_used_bytes"u8, "GPU framebuffer memory in use, in bytes."u8, static g => g.MemoryUsedBytes);
        Gauge(w, gpus, GpuFields.MemoryTotal, "runai_gpu_memory_total_bytes"u8, "GPU framebuffer memory in total, in bytes."u8, static g => g.MemoryTotalBytes);
        Gauge(w, gpus, GpuFields.Temperature, "runai_gpu_temperature_celsius"u8, "GPU die temperature in degrees Celsius."u8, static g => g.TemperatureCelsius);
        Gauge(w, gpus, GpuFields.Power, "runai_gpu_power_watts"u8, "GPU power draw in watts."u8, static g => g.PowerWatts);
        Counter(w, gpus, GpuFields.Energy, "runai_gpu_energy_joules_total"u8, "Energy the GPU consumed since the driver loaded, in joules."u8, static g => g.EnergyJoules);
        Gauge(w, gpus, GpuFields.SmClock, "runai_gpu_sm_clock_hertz"u8, "GPU streaming multiprocessor clock in hertz."u8, static g => g.SmClockHertz);
        Gauge(w, gpus, GpuFields.MemoryClock, "runai_gpu_memory_clock_hertz"u8, "GPU memory clock in hertz."u8, static g => g.MemoryClockHertz);

        Family(w, "runai_gpu_xid_errors_total"u8, "counter"u8, "Xid critical errors the GPU reported since the exporter started, by Xid."u8);
        for (var i = 0; i < gpus.Count; i++)
        {
            var xids = gpus[i].Xids;
            for (var x = 0; x < xids.Count; x++)
            {
                w.Raw("runai_gpu_xid_errors_total{"u8).Raw(labels[i].Runai).Raw(",xid=\""u8).Value(xids.XidAt(x)).Raw("\"} "u8).Value(xids.CountAt(x)).Byte((byte)'\n');
            }
        }

        Family(w, "runai_node_exporter_source"u8, "gauge"u8, "Which telemetry source is live: 1 on it, 0 on the other."u8);
        w.Raw("runai_node_exporter_source{source=\"nvml\"} "u8).Value(health.Source == TelemetrySource.Nvml ? 1L : 0L).Byte((byte)'\n');
        w.Raw("runai_node_exporter_source{source=\"dcgm\"} "u8).Value(health.Source == TelemetrySource.Dcgm ? 1L : 0L).Byte((byte)'\n');

        Family(w, "runai_node_exporter_nvml_errors_total"u8, "counter"u8, "NVML calls that failed, by entry point and return code."u8);
        foreach (var function in NvmlErrorCounts.Functions)
        {
            foreach (var code in NvmlErrorCounts.Codes)
            {
                var count = health.NvmlErrors.Get(function, code);
                if (count == 0) continue;
                w.Raw("runai_node_exporter_nvml_errors_total{function=\""u8).Raw(FunctionLabel(function)).Raw("\",error=\""u8)
                    .Raw(CodeLabel(code)).Raw("\"} "u8).Value(count).Byte((byte)'\n');
            }
        }

        Family(w, "runai_node_exporter_dcgm_scrape_errors_total"u8, "counter"u8, "Reads of the dcgm-exporter endpoint that failed or did not parse."u8);
        w.Raw("runai_node_exporter_dcgm_scrape_errors_total "u8).Value(health.DcgmScrapeErrors).Byte((byte)'\n');
        Family(w, "runai_node_exporter_pod_resources_up"u8, "gauge"u8, "1 when the last read of the kubelet pod-resources API succeeded."u8);
        w.Raw("runai_node_exporter_pod_resources_up "u8).Value(health.PodResourcesUp ? 1L : 0L).Byte((byte)'\n');
        Family(w, "runai_node_exporter_node_label_updates_total"u8, "counter"u8, "Patches of this node's nvidia.com/gpu.* labels."u8);
        w.Raw("runai_node_exporter_node_label_updates_total "u8).Value(health.NodeLabelUpdates).Byte((byte)'\n');
        Family(w, "runai_node_exporter_sample_duration_seconds"u8, "gauge"u8, "How long the last sample of every GPU took."u8);
        w.Raw("runai_node_exporter_sample_duration_seconds "u8).Value(health.LastSampleSeconds).Byte((byte)'\n');

        if (dcgmNames) RenderDcgmNames(w, gpus);
    }

    /// <summary>The dcgm-exporter names and units existing GPU dashboards query, with its label names.</summary>
    private void RenderDcgmNames(ExpositionWriter w, IReadOnlyList<GpuState> gpus)
    {
        DcgmGauge(w, gpus, GpuFields.Utilization, "DCGM_FI_DEV_GPU_UTIL"u8, "GPU utilization (in %)."u8, static g => Math.Round(g.UtilizationRatio * 100));
        DcgmGauge(w, gpus, GpuFields.MemoryUsed, "DCGM_FI_DEV_FB_USED"u8, "Framebuffer memory used (in MiB)."u8, static g => g.MemoryUsedBytes >> 20);
        DcgmGauge(w, gpus, GpuFields.MemoryTotal, "DCGM_FI_DEV_FB_FREE"u8, "Framebuffer memory free (in MiB)."u8, static g => (g.MemoryTotalBytes - Math.Min(g.MemoryUsedBytes, g.MemoryTotalBytes)) >> 20);
        DcgmGauge(w, gpus, GpuFields.Temperature, "DCGM_FI_DEV_GPU_TEMP"u8, "GPU temperature (in C)."u8, static g => g.TemperatureCelsius);
        DcgmGauge(w, gpus, GpuFields.Power, "DCGM_FI_DEV_POWER_USAGE"u8, "Power draw (in W)."u8, static g => g.PowerWatts);
        DcgmGauge(w, gpus, GpuFields.Energy, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"u8, "Total energy consumption since boot (in mJ)."u8, static g => Math.Round(g.EnergyJoules * 1000), "counter"u8);
        DcgmGauge(w, gpus, GpuFields.SmClock, "DCGM_FI_DEV_SM_CLOCK"u8, "SM clock frequency (in MHz)."u8, static g => g.SmClockHertz / 1e6);
        DcgmGauge(w, gpus, GpuFields.MemoryClock, "DCGM_FI_DEV_MEM_CLOCK"u8, "Memory clock frequency (in MHz)."u8, static g => g.MemoryClockHertz / 1e6);
        Family(w, "DCGM_FI_DEV_XID_ERRORS"u8, "gauge"u8, "Value of the last XID error encountered."u8);
        for (var i = 0; i < gpus.Count; i++)
        {
            if (!gpus[i].Up) continue;
            Sample(w, "DCGM_FI_DEV_XID_ERRORS"u8, labels[i].Dcgm, gpus[i].Xids.Last);
        }
    }

    private delegate double Field(GpuState gpu);

    private void Gauge(ExpositionWriter w, IReadOnlyList<GpuState> gpus, GpuFields field, ReadOnlySpan<byte> name, ReadOnlySpan<byte> help, Field value) =>
        Series(w, gpus, field, name, "gauge"u8, help, value, dcgm: false);

    private void Counter(ExpositionWriter w, IReadOnlyList<GpuState> gpus, GpuFields field, ReadOnlySpan<byte> name, ReadOnlySpan<byte> help, Field value) =>
        Series(w, gpus, field, name, "counter"u8, help, value, dcgm: false);

    private void DcgmGauge(ExpositionWriter w, IReadOnlyList<GpuState> gpus, GpuFields field, ReadOnlySpan<byte> name, ReadOnlySpan<byte> help, Field value, ReadOnlySpan<byte> type = default) =>
        Series(w, gpus, field, name, type.IsEmpty ? "gauge"u8 : type, help, value, dcgm: true);

    private void Series(ExpositionWriter w, IReadOnlyList<GpuState> gpus, GpuFields field, ReadOnlySpan<byte> name, ReadOnlySpan<byte> type,
        ReadOnlySpan<byte> help, Field value, bool dcgm)
    {
        Family(w, name, type, help);
        for (var i = 0; i < gpus.Count; i++)
        {
            var gpu = gpus[i];
            if (!gpu.Up || (gpu.Present & field) == 0) continue;
            Sample(w, name, dcgm ? labels[i].Dcgm : labels[i].Runai, value(gpu));
        }
    }

    private static void Family(ExpositionWriter w, ReadOnlySpan<byte> name, ReadOnlySpan<byte> type, ReadOnlySpan<byte> help) =>
        w.Raw("# HELP "u8).Raw(name).Byte((byte)' ').Raw(help).Raw("\n# TYPE "u8).Raw(name).Byte((byte)' ').Raw(type).Byte((byte)'\n');

    private static void Sample(ExpositionWriter w, ReadOnlySpan<byte> name, ReadOnlySpan<byte> labelSet, double value) =>
        w.Raw(name).Byte((byte)'{').Raw(labelSet).Raw("} "u8).Value(value).Byte((byte)'\n');

    private static readonly byte[][] FunctionLabels = NvmlErrorCounts.Functions.Select(f => System.Text.Encoding.UTF8.GetBytes(NvmlErrorCounts.NameOf(f))).ToArray();
    private static readonly byte[][] CodeLabels = NvmlErrorCounts.Codes.Select(c => System.Text.Encoding.UTF8.GetBytes(NvmlReturnNames.LabelOf(c))).ToArray();

    private static ReadOnlySpan<byte> FunctionLabel(NvmlFunction f) => FunctionLabels[(int)f];

    private static ReadOnlySpan<byte> CodeLabel(NvmlReturn c) => CodeLabels[Array.IndexOf(NvmlErrorCounts.Codes, c)];

    /// <summary>One GPU's label sets, in this project's names and in dcgm-exporter's, rendered once per change.</summary>
    private sealed class LabelSet
    {
        private GpuState? gpu;
        private int identityVersion = -1;
        private GpuOwner? owner;
        private readonly ExpositionWriter runai = new(256);
        private readonly ExpositionWriter dcgm = new(256);

        public ReadOnlySpan<byte> Runai => runai.Written;
        public ReadOnlySpan<byte> Dcgm => dcgm.Written;

        public void Refresh(GpuState gpu, GpuOwner? holder, string node)
        {
            // Keyed by the GPU object too: a switch of source (NVML ↔ DCGM) brings other objects with their own versions.
            if (ReferenceEquals(gpu, this.gpu) && gpu.IdentityVersion == identityVersion && ReferenceEquals(holder, owner)) return;
            this.gpu = gpu;
            identityVersion = gpu.IdentityVersion;
            owner = holder;

            runai.Reset();
            runai.Raw("gpu=\""u8).Value((long)gpu.Index).Raw("\",uuid=\""u8).LabelValue(gpu.Uuid)
                .Raw("\",model=\""u8).LabelValue(gpu.Model).Raw("\",pci_bus_id=\""u8).LabelValue(gpu.PciBusId)
                .Raw("\",node=\""u8).LabelValue(node)
                // Empty (not absent) when no pod holds the GPU, as dcgm-exporter does: a scrape with honor_labels must not
                // fill them with the exporter pod's own target labels.
                .Raw("\",namespace=\""u8).LabelValue(holder?.Namespace ?? "").Raw("\",pod=\""u8).LabelValue(holder?.Pod ?? "")
                .Raw("\",container=\""u8).LabelValue(holder?.Container ?? "").Raw("\",workload=\""u8).LabelValue(holder?.Workload ?? "").Byte((byte)'"');

            dcgm.Reset();
            dcgm.Raw("gpu=\""u8).Value((long)gpu.Index).Raw("\",UUID=\""u8).LabelValue(gpu.Uuid)
                .Raw("\",device=\"nvidia"u8).Value((long)gpu.Index).Raw("\",modelName=\""u8).LabelValue(gpu.Model)
                .Raw("\",pci_bus_id=\""u8).LabelValue(gpu.PciBusId).Raw("\",Hostname=\""u8).LabelValue(node)
                .Raw("\",namespace=\""u8).LabelValue(holder?.Namespace ?? "").Raw("\",pod=\""u8).LabelValue(holder?.Pod ?? "")
                .Raw("\",container=\""u8).LabelValue(holder?.Container ?? "").Byte((byte)'"');
        }
    }
}
