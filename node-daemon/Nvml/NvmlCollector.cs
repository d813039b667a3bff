using Runai.NodeDaemon.Gpus;
using Runai.NodeDaemon.Hosting;

namespace Runai.NodeDaemon.Nvml;

/// <summary>Where NVML stands on this node.</summary>
internal enum NvmlStatus
{
    /// <summary>Not tried yet.</summary>
    NotStarted,
    /// <summary>Initialised; GPUs are sampled.</summary>
    Running,
    /// <summary>No <c>libnvidia-ml.so.1</c> could be loaded.</summary>
    LibraryMissing,
    /// <summary>The library loaded but reports no driver (DRIVER_NOT_LOADED, LIBRARY_NOT_FOUND).</summary>
    DriverMissing,
    /// <summary>Initialisation failed for another reason (NO_PERMISSION, UNKNOWN…); retried.</summary>
    InitFailed,
}

/// <summary>
/// Samples every GPU through NVML into <see cref="GpuState"/>s and listens for Xid critical errors, handling each
/// return code as the driver means it: NOT_SUPPORTED (or an entry point the driver lacks) leaves that field out for
/// good, GPU_IS_LOST marks the GPU down and re-initialises NVML until it answers again, any other failure leaves
/// the field out of this sample and is counted. One thread drives it; sampling allocates nothing.
/// </summary>
internal sealed class NvmlCollector(string? libraryPath, TimeProvider time, TimeSpan? retryInterval = null)
{
    /// <summary>How often NVML is re-initialised while a GPU is lost or NVML failed to start.</summary>
    public TimeSpan RetryInterval { get; } = retryInterval ?? TimeSpan.FromSeconds(5);

    private NvmlLibrary? library;
    private nint[] handles = [];
    private bool[] downReported = [];
    private nint eventSet;
    private bool needsReinit;
    private long nextAttempt;
    private NvmlReturn lastInitCode = NvmlReturn.Success;
    private string lastProblem = "";

    public NvmlStatus Status { get; private set; } = NvmlStatus.NotStarted;

    /// <summary>The GPUs as NVML enumerated them; replaced only when the count changes.</summary>
    public GpuState[] Gpus { get; private set; } = [];

    public NvmlErrorCounts Errors { get; } = new();

    /// <summary>Why NVML is not running, for logs and the fallback's reason.</summary>
    public string Problem => lastProblem;

    /// <summary>Bumped whenever the GPU list or any GPU's identity may have changed (the node labeler and attribution follow it).</summary>
    public int InventoryVersion { get; private set; }

    /// <summary>Starts NVML when it is not running and a retry is due; true when it runs afterwards.</summary>
    public bool EnsureStarted()
    {
        if (Status == NvmlStatus.Running && !needsReinit) return true;
        var now = time.GetTimestamp();
        if (Status != NvmlStatus.NotStarted && now < nextAttempt) return Status == NvmlStatus.Running;
        nextAttempt = now + (long)(RetryInterval.TotalSeconds * time.TimestampFrequency);
        if (Status == NvmlStatus.Running) Stop();
        return Start();
    }

    private bool Start()
    {
        if (library is null)
        {
            library = NvmlLibrary.TryLoad(libraryPath, out var problem);
            if (library is null)
            {
                SetDown(NvmlStatus.LibraryMissing, problem);
                return false;
            }
            Log.Info($"Loaded NVML from {library.Path}" + (library.MissingSymbols.Count > 0
                ? $"; entry points this driver lacks (their fields stay out): {string.Join(", ", library.MissingSymbols)}" : ""));
        }

        var r = library.Init();
        if (r != NvmlReturn.Success)
        {
            Errors.Add(NvmlFunction.Init, r);
            var status = NvmlReturnNames.MeansNoDriver(r) ? NvmlStatus.DriverMissing : NvmlStatus.InitFailed;
            if (r != lastInitCode || Status != status)
            {
                lastInitCode = r;
                SetDown(status, $"nvmlInit failed: {NvmlReturnNames.LabelOf(r)} ({library.ErrorString(r)})");
            }
            return false;
        }

        lastInitCode = NvmlReturn.Success;
        Enumerate();
        var wasRunning = Status == NvmlStatus.Running;
        Status = NvmlStatus.Running;
        lastProblem = "";
        if (!wasRunning) Log.Info($"NVML initialised: {Gpus.Length} GPU(s)");
        return true;
    }

    private void SetDown(NvmlStatus status, string problem)
    {
        if (Status != status || problem != lastProblem) Log.Warn($"NVML unavailable: {problem}; retrying every {RetryInterval.TotalSeconds:0} s");
        Status = status;
        lastProblem = problem;
        foreach (var gpu in Gpus)
        {
            gpu.Up = false;
            gpu.Present = GpuFields.None;
        }
    }

    private void Stop()
    {
        if (library is null) return;
        if (eventSet != 0) library.FreeEventSet(eventSet);
        eventSet = 0;
        library.Shutdown();
        Status = NvmlStatus.NotStarted;
    }

    /// <summary>Stops NVML for good (at exit).</summary>
    public void Shutdown()
    {
        if (Status == NvmlStatus.Running) Stop();
    }

    private void Enumerate()
    {
        var lib = library!;
        needsReinit = false;
        var r = lib.DeviceCount(out var count);
        if (r != NvmlReturn.Success)
        {
            Errors.Add(NvmlFunction.DeviceCount, r);
            Log.Warn($"nvmlDeviceGetCount failed: {NvmlReturnNames.LabelOf(r)}; retrying");
            needsReinit = true;
            return;
        }

        if (count != Gpus.Length)
        {
            var gpus = new GpuState[count];
            for (var i = 0; i < count; i++) gpus[i] = i < Gpus.Length ? Gpus[i] : new GpuState(i);
            Gpus = gpus;
            handles = new nint[count];
            Array.Resize(ref downReported, (int)count);
        }

        for (var i = 0; i < Gpus.Length; i++)
        {
            var gpu = Gpus[i];
            gpu.Unsupported = GpuFields.None;
            r = lib.DeviceHandle((uint)i, out handles[i]);
            if (r != NvmlReturn.Success)
            {
                Errors.Add(NvmlFunction.DeviceHandle, r);
                MarkDown(gpu, r);
                handles[i] = 0;
                continue;
            }

            // Identity is read once per initialisation; a failed read keeps what was known.
            var uuid = lib.Uuid(handles[i], out var u) == NvmlReturn.Success ? u : gpu.Uuid;
            var model = lib.Name(handles[i], out var n) == NvmlReturn.Success ? n : gpu.Model;
            var pci = lib.PciBusId(handles[i], out var p) == NvmlReturn.Success ? p : gpu.PciBusId;
            gpu.SetIdentity(uuid, model, pci);
            if (downReported[i]) Log.Info($"GPU {i} ({gpu.Uuid}) answers again");
            downReported[i] = false;
            gpu.Up = true;
        }

        RegisterXidEvents();
        InventoryVersion++;
    }

    private void RegisterXidEvents()
    {
        var lib = library!;
        var r = lib.CreateEventSet(out eventSet);
        if (r != NvmlReturn.Success)
        {
            Errors.Add(NvmlFunction.EventSetCreate, r);
            eventSet = 0;
            return;
        }
        for (var i = 0; i < handles.Length; i++)
        {
            if (handles[i] == 0) continue;
            r = lib.RegisterXidEvents(handles[i], eventSet);
            // NOT_SUPPORTED: this GPU reports no Xid events (older boards); the others still do.
            if (r != NvmlReturn.Success && r != NvmlReturn.NotSupported) Errors.Add(NvmlFunction.RegisterEvents, r);
        }
    }

    /// <summary>Reads every field of every GPU that answers. Allocates nothing.</summary>
    public void Sample()
    {
        if (Status != NvmlStatus.Running) return;
        var lib = library!;
        for (var i = 0; i < Gpus.Length; i++)
        {
            var gpu = Gpus[i];
            var h = handles[i];
            if (!gpu.Up || h == 0) continue;

            if (Wants(gpu, GpuFields.Utilization) && Check(gpu, NvmlFunction.Utilization, lib.Utilization(h, out var util), GpuFields.Utilization))
                gpu.UtilizationRatio = util.Gpu / 100.0;
            if (!gpu.Up) continue;
            if (Wants(gpu, GpuFields.MemoryUsed) && Check(gpu, NvmlFunction.Memory, lib.Memory(h, out var total, out var used), GpuFields.MemoryUsed | GpuFields.MemoryTotal))
            {
                gpu.MemoryTotalBytes = total;
                gpu.MemoryUsedBytes = used;
            }
            if (!gpu.Up) continue;
            if (Wants(gpu, GpuFields.Temperature) && Check(gpu, NvmlFunction.Temperature, lib.Temperature(h, out var celsius), GpuFields.Temperature))
                gpu.TemperatureCelsius = celsius;
            if (!gpu.Up) continue;
            if (Wants(gpu, GpuFields.Power) && Check(gpu, NvmlFunction.Power, lib.PowerUsage(h, out var mw), GpuFields.Power))
                gpu.PowerWatts = mw / 1000.0;
            if (!gpu.Up) continue;
            if (Wants(gpu, GpuFields.Energy) && Check(gpu, NvmlFunction.Energy, lib.TotalEnergy(h, out var mj), GpuFields.Energy))
                gpu.EnergyJoules = mj / 1000.0;
            if (!gpu.Up) continue;
            if (Wants(gpu, GpuFields.SmClock) && Check(gpu, NvmlFunction.SmClock, lib.Clock(h, NvmlConstants.ClockSm, out var sm), GpuFields.SmClock))
                gpu.SmClockHertz = sm * 1e6;
            if (!gpu.Up) continue;
            if (Wants(gpu, GpuFields.MemoryClock) && Check(gpu, NvmlFunction.MemoryClock, lib.Clock(h, NvmlConstants.ClockMemory, out var mem), GpuFields.MemoryClock))
                gpu.MemoryClockHertz = mem * 1e6;
        }
    }

    private static bool Wants(GpuState gpu, GpuFields field) => (gpu.Unsupported & field) == 0;

    /// <summary>What one call's return code means for the GPU and the field it was to fill.</summary>
    private bool Check(GpuState gpu, NvmlFunction function, NvmlReturn code, GpuFields fields)
    {
        switch (code)
        {
            case NvmlReturn.Success:
                gpu.Present |= fields;
                return true;
            case NvmlReturn.NotSupported or NvmlReturn.FunctionNotFound:
                gpu.Unsupported |= fields;
                gpu.Clear(fields);
                Log.Info($"GPU {gpu.Index} ({gpu.Uuid}): {NvmlErrorCounts.NameOf(function)} is {NvmlReturnNames.LabelOf(code)}; its series are left out");
                return false;
            case NvmlReturn.GpuIsLost:
                Errors.Add(function, code);
                MarkDown(gpu, code);
                return false;
            case NvmlReturn.Uninitialized:
                Errors.Add(function, code);
                gpu.Clear(fields);
                needsReinit = true;
                return false;
            default:
                Errors.Add(function, code);
                gpu.Clear(fields);
                Log.Debug($"GPU {gpu.Index}: {NvmlErrorCounts.NameOf(function)} failed: {NvmlReturnNames.LabelOf(code)}");
                return false;
        }
    }

    private void MarkDown(GpuState gpu, NvmlReturn code)
    {
        // Once per outage, not on every re-initialisation that finds it still lost.
        if (!downReported[gpu.Index])
        {
            downReported[gpu.Index] = true;
            Log.Warn($"GPU {gpu.Index} ({(gpu.Uuid.Length > 0 ? gpu.Uuid : "uuid unknown")}) is down: {NvmlReturnNames.LabelOf(code)}; re-initialising NVML every {RetryInterval.TotalSeconds:0} s until it answers");
        }
        gpu.Up = false;
        gpu.Present = GpuFields.None;
        needsReinit = true;
    }

    /// <summary>True while a GPU is lost or the session needs starting over (the loop re-initialises when due).</summary>
    public bool NeedsReinit => needsReinit;

    /// <summary>
    /// Waits for Xid critical errors until <paramref name="until"/> (a <see cref="TimeProvider"/> timestamp) or
    /// <paramref name="stop"/>, counting each on its GPU. Sleeps instead when no event set is registered.
    /// </summary>
    public void WaitForEvents(long until, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var remainingMs = (long)((until - time.GetTimestamp()) * 1000.0 / time.TimestampFrequency);
            if (remainingMs <= 0) return;
            // Short waits keep shutdown prompt; the library call itself cannot be cancelled.
            var slice = (uint)Math.Min(remainingMs, 250);
            if (Status != NvmlStatus.Running || eventSet == 0)
            {
                stop.WaitHandle.WaitOne((int)slice);
                continue;
            }

            var r = library!.WaitEvent(eventSet, out var data, slice);
            if (r == NvmlReturn.Timeout) continue;
            if (r != NvmlReturn.Success)
            {
                Errors.Add(NvmlFunction.EventWait, r);
                if (r is NvmlReturn.GpuIsLost or NvmlReturn.Uninitialized) needsReinit = true;
                stop.WaitHandle.WaitOne((int)slice);
                continue;
            }

            if ((data.EventType & NvmlConstants.EventTypeXidCriticalError) == 0) continue;
            var index = Array.IndexOf(handles, data.Device);
            if (index < 0) continue;
            var gpu = Gpus[index];
            if (!gpu.Xids.Add(data.EventData))
            {
                Log.Warn($"GPU {index}: Xid {data.EventData} not counted: {XidCounts.Capacity} distinct Xids already counted on this GPU");
            }
            Log.Warn($"GPU {index} ({gpu.Uuid}) reported Xid {data.EventData}");
        }
    }

    /// <summary>For diagnostics: the NVML library that was loaded, if any.</summary>
    public string? LibraryPath => library?.Path;
}
