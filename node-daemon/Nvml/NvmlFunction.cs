namespace Runai.NodeDaemon.Nvml;

/// <summary>The NVML calls the daemon makes, as they are counted in <c>runai_node_exporter_nvml_errors_total</c>.</summary>
internal enum NvmlFunction
{
    Init,
    DeviceCount,
    DeviceHandle,
    Name,
    Uuid,
    PciInfo,
    Memory,
    Utilization,
    Temperature,
    Power,
    Energy,
    SmClock,
    MemoryClock,
    EventSetCreate,
    RegisterEvents,
    EventWait,
}

/// <summary>Failed NVML calls per function and return code, in a fixed table (counting allocates nothing).</summary>
internal sealed class NvmlErrorCounts
{
    public static readonly NvmlFunction[] Functions = Enum.GetValues<NvmlFunction>();
    public static readonly NvmlReturn[] Codes = Enum.GetValues<NvmlReturn>();
    private readonly ulong[,] counts = new ulong[Functions.Length, Codes.Length];

    public void Add(NvmlFunction function, NvmlReturn code) => counts[(int)function, CodeSlot(code)]++;

    public ulong Get(NvmlFunction function, NvmlReturn code) => counts[(int)function, CodeSlot(code)];

    private static int CodeSlot(NvmlReturn code)
    {
        var i = Array.IndexOf(Codes, code);
        return i < 0 ? Array.IndexOf(Codes, NvmlReturn.Unknown) : i;
    }

    /// <summary>The NVML entry point's name, for the label.</summary>
    public static string NameOf(NvmlFunction function) => function switch
    {
        NvmlFunction.Init => "nvmlInit",
        NvmlFunction.DeviceCount => "nvmlDeviceGetCount",
        NvmlFunction.DeviceHandle => "nvmlDeviceGetHandleByIndex",
        NvmlFunction.Name => "nvmlDeviceGetName",
        NvmlFunction.Uuid => "nvmlDeviceGetUUID",
        NvmlFunction.PciInfo => "nvmlDeviceGetPciInfo",
        NvmlFunction.Memory => "nvmlDeviceGetMemoryInfo",
        NvmlFunction.Utilization => "nvmlDeviceGetUtilizationRates",
        NvmlFunction.Temperature => "nvmlDeviceGetTemperature",
        NvmlFunction.Power => "nvmlDeviceGetPowerUsage",
        NvmlFunction.Energy => "nvmlDeviceGetTotalEnergyConsumption",
        NvmlFunction.SmClock => "nvmlDeviceGetClockInfo_sm",
        NvmlFunction.MemoryClock => "nvmlDeviceGetClockInfo_mem",
        NvmlFunction.EventSetCreate => "nvmlEventSetCreate",
        NvmlFunction.RegisterEvents => "nvmlDeviceRegisterEvents",
        NvmlFunction.EventWait => "nvmlEventSetWait",
        _ => function.ToString(),
    };
}
