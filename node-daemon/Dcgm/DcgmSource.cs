using System.Globalization;
using Runai.NodeDaemon.Gpus;
using Runai.NodeDaemon.Hosting;

namespace Runai.NodeDaemon.Dcgm;

/// <summary>
/// The fallback when NVML is unusable: reads a dcgm-exporter's <c>DCGM_FI_DEV_*</c> series and turns them into the
/// same <see cref="GpuState"/>s NVML would give, in base units (MiB → bytes, MHz → Hz, % → ratio, mJ → J). A page
/// that fails to arrive or to parse marks every GPU down for that sample and is counted; the next one is read as usual.
/// </summary>
internal sealed class DcgmSource(Uri url, TimeSpan timeout)
{
    private readonly HttpClient http = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) }) { Timeout = timeout };
    private readonly Dictionary<int, GpuState> byIndex = new();
    private readonly Dictionary<int, ulong> lastXid = new();
    private string lastProblem = "";

    public Uri Url => url;

    public GpuState[] Gpus { get; private set; } = [];

    public ulong Errors { get; private set; }

    /// <summary>Bumped when the set of GPUs or an identity changed.</summary>
    public int InventoryVersion { get; private set; }

    /// <summary>One read of the endpoint; false (and every GPU down) when it failed.</summary>
    public bool Poll(CancellationToken ct)
    {
        byte[] body;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = http.Send(request, ct);
            if (!response.IsSuccessStatusCode) return Failed($"{url} answered {(int)response.StatusCode}");
            using var stream = response.Content.ReadAsStream(ct);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            body = copy.ToArray();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return Failed($"{url} could not be read: {e.Message}");
        }

        try
        {
            Apply(body);
        }
        catch (ExpositionFormatException e)
        {
            return Failed($"{url} is not valid exposition text: {e.Message}");
        }

        if (lastProblem.Length > 0) Log.Info($"dcgm-exporter at {url} reads again");
        lastProblem = "";
        return true;
    }

    private bool Failed(string problem)
    {
        Errors++;
        if (problem != lastProblem) Log.Warn($"DCGM fallback: {problem}; retrying every sample");
        lastProblem = problem;
        foreach (var gpu in Gpus)
        {
            gpu.Up = false;
            gpu.Present = GpuFields.None;
        }
        return false;
    }

    /// <summary>Applies one page: GPUs it lists are up with the fields it has, GPUs it no longer lists are down.</summary>
    public void Apply(ReadOnlySpan<byte> page)
    {
        // Parse the whole page first: a page that fails half way changes nothing.
        var samples = new List<(int Gpu, string Field, double Value, string Uuid, string Model, string Pci)>();
        var reader = new ExpositionReader(page);
        while (reader.Next(out var s))
        {
            if (!s.Name.StartsWith("DCGM_FI_DEV_"u8)) continue;
            var gpuText = s.Label("gpu"u8);
            if (gpuText is null || !int.TryParse(gpuText, NumberStyles.None, CultureInfo.InvariantCulture, out var gpu) || gpu > 1024)
            {
                throw new ExpositionFormatException(s.Line, "a DCGM_FI_DEV_ series without a valid gpu label");
            }
            samples.Add((gpu, System.Text.Encoding.ASCII.GetString(s.Name["DCGM_FI_DEV_"u8.Length..]), s.Value,
                s.Label("UUID"u8) ?? "", s.Label("modelName"u8) ?? "", s.Label("pci_bus_id"u8) ?? ""));
        }

        var seen = new HashSet<int>();
        foreach (var gpu in Gpus) gpu.Present = GpuFields.None;
        var fbFree = new Dictionary<int, double>();
        var fbUsed = new Dictionary<int, double>();
        foreach (var (index, field, value, uuid, model, pci) in samples)
        {
            if (!byIndex.TryGetValue(index, out var gpu))
            {
                gpu = new GpuState(index);
                byIndex[index] = gpu;
            }
            if (seen.Add(index))
            {
                var before = gpu.IdentityVersion;
                gpu.SetIdentity(uuid.Length > 0 ? uuid : gpu.Uuid, model.Length > 0 ? model : gpu.Model, pci.Length > 0 ? pci : gpu.PciBusId);
                if (before != gpu.IdentityVersion) InventoryVersion++;
                gpu.Up = true;
            }
            switch (field)
            {
                case "GPU_UTIL": Set(gpu, GpuFields.Utilization, value / 100.0, static (g, v) => g.UtilizationRatio = v); break;
                case "FB_USED": fbUsed[index] = value; break;
                case "FB_FREE": fbFree[index] = value; break;
                case "GPU_TEMP": Set(gpu, GpuFields.Temperature, value, static (g, v) => g.TemperatureCelsius = v); break;
                case "POWER_USAGE": Set(gpu, GpuFields.Power, value, static (g, v) => g.PowerWatts = v); break;
                case "TOTAL_ENERGY_CONSUMPTION": Set(gpu, GpuFields.Energy, value / 1000.0, static (g, v) => g.EnergyJoules = v); break;
                case "SM_CLOCK": Set(gpu, GpuFields.SmClock, value * 1e6, static (g, v) => g.SmClockHertz = v); break;
                case "MEM_CLOCK": Set(gpu, GpuFields.MemoryClock, value * 1e6, static (g, v) => g.MemoryClockHertz = v); break;
                case "XID_ERRORS":
                    // dcgm-exporter shows the last Xid seen; each change to a new non-zero value is one more occurrence.
                    var xid = value is > 0 and < ulong.MaxValue ? (ulong)value : 0;
                    if (xid != 0 && lastXid.GetValueOrDefault(index) != xid) gpu.Xids.Add(xid);
                    lastXid[index] = xid;
                    break;
            }
        }
        foreach (var (index, used) in fbUsed)
        {
            var gpu = byIndex[index];
            if (double.IsFinite(used) && used >= 0)
            {
                gpu.MemoryUsedBytes = (ulong)used << 20;
                gpu.Present |= GpuFields.MemoryUsed;
                if (fbFree.TryGetValue(index, out var free) && double.IsFinite(free) && free >= 0)
                {
                    gpu.MemoryTotalBytes = ((ulong)used + (ulong)free) << 20;
                    gpu.Present |= GpuFields.MemoryTotal;
                }
            }
        }

        foreach (var (index, gpu) in byIndex)
        {
            if (seen.Contains(index)) continue;
            gpu.Up = false;
            gpu.Present = GpuFields.None;
        }
        if (Gpus.Length != byIndex.Count)
        {
            Gpus = byIndex.Values.OrderBy(g => g.Index).ToArray();
            InventoryVersion++;
        }
    }

    private static void Set(GpuState gpu, GpuFields field, double value, Action<GpuState, double> set)
    {
        if (!double.IsFinite(value)) return;
        set(gpu, value);
        gpu.Present |= field;
    }
}
