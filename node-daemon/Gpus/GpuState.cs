namespace Runai.NodeDaemon.Gpus;

/// <summary>The telemetry fields of a GPU; a field is present only while its source answers for it.</summary>
[Flags]
internal enum GpuFields
{
    None = 0,
    Utilization = 1 << 0,
    MemoryUsed = 1 << 1,
    MemoryTotal = 1 << 2,
    Temperature = 1 << 3,
    Power = 1 << 4,
    Energy = 1 << 5,
    SmClock = 1 << 6,
    MemoryClock = 1 << 7,
}

/// <summary>
/// One GPU of the node as last sampled: identity, whether it answers, and the fields its source reports. Written
/// only by the collector thread, which also renders it, so it needs no locking and is reused sample after sample.
/// </summary>
internal sealed class GpuState(int index)
{
    public int Index { get; } = index;
    public string Uuid { get; private set; } = "";
    public string Model { get; private set; } = "";
    public string PciBusId { get; private set; } = "";

    /// <summary>Bumped whenever identity changes, so pre-rendered label sets know to rebuild.</summary>
    public int IdentityVersion { get; private set; }

    /// <summary>The GPU answers its source (false: lost, or its source is down).</summary>
    public bool Up { get; set; }

    public GpuFields Present { get; set; }

    /// <summary>Fields the GPU said it does not have (NOT_SUPPORTED, or no entry point): not asked again until re-init.</summary>
    public GpuFields Unsupported { get; set; }

    public double UtilizationRatio { get; set; }
    public ulong MemoryUsedBytes { get; set; }
    public ulong MemoryTotalBytes { get; set; }
    public double TemperatureCelsius { get; set; }
    public double PowerWatts { get; set; }
    public double EnergyJoules { get; set; }
    public double SmClockHertz { get; set; }
    public double MemoryClockHertz { get; set; }

    public XidCounts Xids { get; } = new();

    public void SetIdentity(string uuid, string model, string pciBusId)
    {
        if (uuid == Uuid && model == Model && pciBusId == PciBusId) return;
        Uuid = uuid;
        Model = model;
        PciBusId = pciBusId;
        IdentityVersion++;
    }

    public void Clear(GpuFields fields) => Present &= ~fields;
}

/// <summary>Xid critical errors seen on one GPU, counted per Xid since the daemon started (a small fixed table).</summary>
internal sealed class XidCounts
{
    /// <summary>Distinct Xids kept per GPU; NVIDIA documents well under a hundred, and a GPU shows a handful.</summary>
    public const int Capacity = 32;
    private readonly ulong[] xids = new ulong[Capacity];
    private readonly ulong[] counts = new ulong[Capacity];

    public int Count { get; private set; }

    /// <summary>The Xid seen last (0 before any), as dcgm-exporter's DCGM_FI_DEV_XID_ERRORS shows it.</summary>
    public ulong Last { get; private set; }

    public ulong XidAt(int i) => xids[i];
    public ulong CountAt(int i) => counts[i];

    /// <summary>Counts one occurrence; false when the table is full of other Xids (the caller logs it).</summary>
    public bool Add(ulong xid, ulong times = 1)
    {
        Last = xid;
        for (var i = 0; i < Count; i++)
        {
            if (xids[i] != xid) continue;
            counts[i] += times;
            return true;
        }
        if (Count == Capacity) return false;
        xids[Count] = xid;
        counts[Count] = times;
        Count++;
        return true;
    }

    /// <summary>Sets a count read from elsewhere (the DCGM fallback), never lowering it: the series is a counter.</summary>
    public bool Raise(ulong xid, ulong total)
    {
        for (var i = 0; i < Count; i++)
        {
            if (xids[i] != xid) continue;
            if (total > counts[i])
            {
                counts[i] = total;
                Last = xid;
            }
            return true;
        }
        return Add(xid, total);
    }
}
