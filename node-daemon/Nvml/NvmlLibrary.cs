using System.Runtime.InteropServices;
using System.Text;

namespace Runai.NodeDaemon.Nvml;

/// <summary>
/// <c>libnvidia-ml.so.1</c>, loaded by hand and called through unmanaged function pointers: no marshalling
/// stubs, no delegates, nothing allocated per call. Each entry point is resolved by its newest name first and
/// older names after; an entry point the driver lacks answers <see cref="NvmlReturn.FunctionNotFound"/> and only
/// its field goes missing.
/// </summary>
internal sealed unsafe class NvmlLibrary
{
    public const string FileName = "libnvidia-ml.so.1";
    private static readonly string[] SystemDirectories = ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"];

    private readonly nint handle;

    private readonly delegate* unmanaged<NvmlReturn> init;
    private readonly delegate* unmanaged<NvmlReturn> shutdown;
    private readonly delegate* unmanaged<NvmlReturn, byte*> errorString;
    private readonly delegate* unmanaged<uint*, NvmlReturn> getCount;
    private readonly delegate* unmanaged<uint, nint*, NvmlReturn> getHandleByIndex;
    private readonly delegate* unmanaged<nint, byte*, uint, NvmlReturn> getName;
    private readonly delegate* unmanaged<nint, byte*, uint, NvmlReturn> getUuid;
    private readonly delegate* unmanaged<nint, NvmlPciInfo*, NvmlReturn> getPciInfo;
    private readonly delegate* unmanaged<nint, NvmlMemoryV2*, NvmlReturn> getMemoryInfoV2;
    private readonly delegate* unmanaged<nint, NvmlMemory*, NvmlReturn> getMemoryInfo;
    private readonly delegate* unmanaged<nint, NvmlUtilization*, NvmlReturn> getUtilizationRates;
    private readonly delegate* unmanaged<nint, int, uint*, NvmlReturn> getTemperature;
    private readonly delegate* unmanaged<nint, uint*, NvmlReturn> getPowerUsage;
    private readonly delegate* unmanaged<nint, ulong*, NvmlReturn> getTotalEnergyConsumption;
    private readonly delegate* unmanaged<nint, int, uint*, NvmlReturn> getClockInfo;
    private readonly delegate* unmanaged<nint*, NvmlReturn> eventSetCreate;
    private readonly delegate* unmanaged<nint, NvmlReturn> eventSetFree;
    private readonly delegate* unmanaged<nint, ulong, nint, NvmlReturn> registerEvents;
    private readonly delegate* unmanaged<nint, NvmlEventData*, uint, NvmlReturn> eventSetWait;

    private NvmlLibrary(nint handle, string path)
    {
        this.handle = handle;
        Path = path;
        init = (delegate* unmanaged<NvmlReturn>)Resolve("nvmlInit_v2", "nvmlInit");
        shutdown = (delegate* unmanaged<NvmlReturn>)Resolve("nvmlShutdown");
        errorString = (delegate* unmanaged<NvmlReturn, byte*>)Resolve("nvmlErrorString");
        getCount = (delegate* unmanaged<uint*, NvmlReturn>)Resolve("nvmlDeviceGetCount_v2", "nvmlDeviceGetCount");
        getHandleByIndex = (delegate* unmanaged<uint, nint*, NvmlReturn>)Resolve("nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex");
        getName = (delegate* unmanaged<nint, byte*, uint, NvmlReturn>)Resolve("nvmlDeviceGetName");
        getUuid = (delegate* unmanaged<nint, byte*, uint, NvmlReturn>)Resolve("nvmlDeviceGetUUID");
        // v2 and v3 fill the same struct; v3 only fixed how busId is formatted.
        getPciInfo = (delegate* unmanaged<nint, NvmlPciInfo*, NvmlReturn>)Resolve("nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2");
        getMemoryInfoV2 = (delegate* unmanaged<nint, NvmlMemoryV2*, NvmlReturn>)Resolve("nvmlDeviceGetMemoryInfo_v2");
        getMemoryInfo = (delegate* unmanaged<nint, NvmlMemory*, NvmlReturn>)Resolve("nvmlDeviceGetMemoryInfo");
        getUtilizationRates = (delegate* unmanaged<nint, NvmlUtilization*, NvmlReturn>)Resolve("nvmlDeviceGetUtilizationRates");
        getTemperature = (delegate* unmanaged<nint, int, uint*, NvmlReturn>)Resolve("nvmlDeviceGetTemperature");
        getPowerUsage = (delegate* unmanaged<nint, uint*, NvmlReturn>)Resolve("nvmlDeviceGetPowerUsage");
        getTotalEnergyConsumption = (delegate* unmanaged<nint, ulong*, NvmlReturn>)Resolve("nvmlDeviceGetTotalEnergyConsumption");
        getClockInfo = (delegate* unmanaged<nint, int, uint*, NvmlReturn>)Resolve("nvmlDeviceGetClockInfo");
        eventSetCreate = (delegate* unmanaged<nint*, NvmlReturn>)Resolve("nvmlEventSetCreate");
        eventSetFree = (delegate* unmanaged<nint, NvmlReturn>)Resolve("nvmlEventSetFree");
        registerEvents = (delegate* unmanaged<nint, ulong, nint, NvmlReturn>)Resolve("nvmlDeviceRegisterEvents");
        // v1 fills the first 24 bytes of the same struct (no instance ids).
        eventSetWait = (delegate* unmanaged<nint, NvmlEventData*, uint, NvmlReturn>)Resolve("nvmlEventSetWait_v2", "nvmlEventSetWait");
    }

    /// <summary>The file that was loaded.</summary>
    public string Path { get; }

    /// <summary>Entry points the library lacks under every name tried (their fields stay out).</summary>
    public List<string> MissingSymbols { get; } = [];

    /// <summary>
    /// Loads NVML: from <paramref name="overridePath"/> only when given (a file, or a directory holding
    /// <c>libnvidia-ml.so.1</c>), otherwise the loader's search path and then the usual driver directories.
    /// Null with the reason when no candidate loads.
    /// </summary>
    public static NvmlLibrary? TryLoad(string? overridePath, out string problem)
    {
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(overridePath))
        {
            candidates.Add(Directory.Exists(overridePath) ? System.IO.Path.Combine(overridePath, FileName) : overridePath);
        }
        else
        {
            candidates.Add(FileName);
            candidates.AddRange(SystemDirectories.Select(d => System.IO.Path.Combine(d, FileName)));
        }

        foreach (var candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var lib))
            {
                problem = "";
                return new NvmlLibrary(lib, candidate);
            }
        }

        problem = $"{FileName} could not be loaded (tried {string.Join(", ", candidates)})";
        return null;
    }

    private nint Resolve(string name, string? older = null)
    {
        if (NativeLibrary.TryGetExport(handle, name, out var address)) return address;
        if (older is not null && NativeLibrary.TryGetExport(handle, older, out address)) return address;
        MissingSymbols.Add(name);
        return 0;
    }

    public bool HasEnergyCounter => getTotalEnergyConsumption != null;

    public NvmlReturn Init() => init == null ? NvmlReturn.FunctionNotFound : init();

    public NvmlReturn Shutdown() => shutdown == null ? NvmlReturn.FunctionNotFound : shutdown();

    /// <summary>NVML's own text for a code; allocates, so only for logs.</summary>
    public string ErrorString(NvmlReturn code)
    {
        if (errorString == null) return NvmlReturnNames.LabelOf(code);
        var text = errorString(code);
        return text == null ? NvmlReturnNames.LabelOf(code) : Marshal.PtrToStringUTF8((nint)text) ?? NvmlReturnNames.LabelOf(code);
    }

    public NvmlReturn DeviceCount(out uint count)
    {
        count = 0;
        if (getCount == null) return NvmlReturn.FunctionNotFound;
        fixed (uint* p = &count) return getCount(p);
    }

    public NvmlReturn DeviceHandle(uint index, out nint device)
    {
        device = 0;
        if (getHandleByIndex == null) return NvmlReturn.FunctionNotFound;
        fixed (nint* p = &device) return getHandleByIndex(index, p);
    }

    public NvmlReturn Name(nint device, out string name) => Text(getName, device, NvmlConstants.NameBufferSize, out name);

    public NvmlReturn Uuid(nint device, out string uuid) => Text(getUuid, device, NvmlConstants.UuidBufferSize, out uuid);

    private static NvmlReturn Text(delegate* unmanaged<nint, byte*, uint, NvmlReturn> fn, nint device, int size, out string text)
    {
        text = "";
        if (fn == null) return NvmlReturn.FunctionNotFound;
        var buffer = stackalloc byte[size];
        var r = fn(device, buffer, (uint)size);
        if (r == NvmlReturn.Success) text = CString(buffer, size);
        return r;
    }

    public NvmlReturn PciBusId(nint device, out string busId)
    {
        busId = "";
        if (getPciInfo == null) return NvmlReturn.FunctionNotFound;
        NvmlPciInfo info;
        var r = getPciInfo(device, &info);
        if (r == NvmlReturn.Success) busId = CString(info.BusId, NvmlPciInfo.BusIdLength);
        return r;
    }

    /// <summary>Total and used framebuffer bytes: the v2 call (which counts reserved memory apart) when there is one.</summary>
    public NvmlReturn Memory(nint device, out ulong total, out ulong used)
    {
        total = used = 0;
        if (getMemoryInfoV2 != null)
        {
            NvmlMemoryV2 v2 = default;
            v2.Version = NvmlMemoryV2.Version2;
            var r2 = getMemoryInfoV2(device, &v2);
            if (r2 == NvmlReturn.Success)
            {
                total = v2.Total;
                used = v2.Used;
            }
            // Only a driver without the v2 call is asked the old way; its other answers stand.
            if (r2 != NvmlReturn.FunctionNotFound) return r2;
        }

        if (getMemoryInfo == null) return NvmlReturn.FunctionNotFound;
        NvmlMemory v1;
        var r = getMemoryInfo(device, &v1);
        if (r == NvmlReturn.Success)
        {
            total = v1.Total;
            used = v1.Used;
        }
        return r;
    }

    public NvmlReturn Utilization(nint device, out NvmlUtilization utilization)
    {
        utilization = default;
        if (getUtilizationRates == null) return NvmlReturn.FunctionNotFound;
        fixed (NvmlUtilization* p = &utilization) return getUtilizationRates(device, p);
    }

    public NvmlReturn Temperature(nint device, out uint celsius)
    {
        celsius = 0;
        if (getTemperature == null) return NvmlReturn.FunctionNotFound;
        fixed (uint* p = &celsius) return getTemperature(device, NvmlConstants.TemperatureGpu, p);
    }

    public NvmlReturn PowerUsage(nint device, out uint milliwatts)
    {
        milliwatts = 0;
        if (getPowerUsage == null) return NvmlReturn.FunctionNotFound;
        fixed (uint* p = &milliwatts) return getPowerUsage(device, p);
    }

    public NvmlReturn TotalEnergy(nint device, out ulong millijoules)
    {
        millijoules = 0;
        if (getTotalEnergyConsumption == null) return NvmlReturn.FunctionNotFound;
        fixed (ulong* p = &millijoules) return getTotalEnergyConsumption(device, p);
    }

    public NvmlReturn Clock(nint device, int type, out uint mhz)
    {
        mhz = 0;
        if (getClockInfo == null) return NvmlReturn.FunctionNotFound;
        fixed (uint* p = &mhz) return getClockInfo(device, type, p);
    }

    public NvmlReturn CreateEventSet(out nint set)
    {
        set = 0;
        if (eventSetCreate == null) return NvmlReturn.FunctionNotFound;
        fixed (nint* p = &set) return eventSetCreate(p);
    }

    public NvmlReturn FreeEventSet(nint set) => eventSetFree == null ? NvmlReturn.FunctionNotFound : eventSetFree(set);

    public NvmlReturn RegisterXidEvents(nint device, nint set) =>
        registerEvents == null ? NvmlReturn.FunctionNotFound : registerEvents(device, NvmlConstants.EventTypeXidCriticalError, set);

    public NvmlReturn WaitEvent(nint set, out NvmlEventData data, uint timeoutMs)
    {
        data = default;
        if (eventSetWait == null) return NvmlReturn.FunctionNotFound;
        fixed (NvmlEventData* p = &data) return eventSetWait(set, p, timeoutMs);
    }

    private static string CString(byte* buffer, int size)
    {
        var span = new ReadOnlySpan<byte>(buffer, size);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }
}
