using Runai.NodeDaemon.Attribution;
using Runai.NodeDaemon.Exposition;
using Runai.NodeDaemon.Gpus;
using Runai.NodeDaemon.Nvml;
using Runai.NodeDaemon.Tests.Support;

namespace Runai.NodeDaemon.Tests.Nvml;

/// <summary>The collector through the real P/Invoke path against the NVML test library: fields, return codes, lost GPUs, Xid events.</summary>
public sealed class NvmlCollectorTests : IDisposable
{
    private const string Gpu0 = "GPU-00000000-0000-0000-0000-000000000000";
    private const string Gpu1 = "GPU-11111111-1111-1111-1111-111111111111";
    private readonly NvmlSim sim = new();

    public void Dispose() => sim.Dispose();

    private NvmlCollector Started(string config)
    {
        sim.Write(config);
        var collector = new NvmlCollector(sim.Directory, TimeProvider.System, retryInterval: TimeSpan.Zero);
        Assert.True(collector.EnsureStarted(), $"NVML did not start: {collector.Problem}");
        collector.Sample();
        return collector;
    }

    private static string Page(NvmlCollector collector)
    {
        var writer = new ExpositionWriter();
        new NodeExposition("node-a", dcgmNames: false).Render(writer, collector.Gpus, GpuOwners.None,
            new ExporterHealth { Source = TelemetrySource.Nvml, NvmlErrors = collector.Errors });
        return writer.ToString();
    }

    [Fact]
    public void EveryFieldOfEveryGpuIsSampledInBaseUnits()
    {
        var collector = Started(NvmlSim.TwoGpus);

        Assert.Equal(NvmlStatus.Running, collector.Status);
        Assert.Equal(2, collector.Gpus.Length);
        var gpu = collector.Gpus[0];
        Assert.Equal(Gpu0, gpu.Uuid);
        Assert.Equal("NVIDIA H200", gpu.Model);
        Assert.Equal("00000000:17:00.0", gpu.PciBusId);
        Assert.True(gpu.Up);
        Assert.Equal(0.35, gpu.UtilizationRatio, 6);
        Assert.Equal(1024UL << 20, gpu.MemoryUsedBytes);
        Assert.Equal(75377UL << 20, gpu.MemoryTotalBytes);
        Assert.Equal(41, gpu.TemperatureCelsius);
        Assert.Equal(250, gpu.PowerWatts);
        Assert.True(gpu.EnergyJoules >= 5, $"energy {gpu.EnergyJoules} J is below the file's 5000 mJ");
        Assert.Equal(1980e6, gpu.SmClockHertz);
        Assert.Equal(3201e6, gpu.MemoryClockHertz);
        Assert.Equal(0.8, collector.Gpus[1].UtilizationRatio, 6);
        Assert.Equal(Gpu1, collector.Gpus[1].Uuid);
    }

    [Fact]
    public void NotSupportedLeavesOnlyThatFieldOutAndIsNotAskedAgain()
    {
        var collector = Started(NvmlSim.TwoGpus + "fault call=nvmlDeviceGetPowerUsage gpu=1 code=3\n");
        collector.Sample();

        Assert.Equal(GpuFields.Power, collector.Gpus[1].Unsupported);
        Assert.Equal(0, (int)(collector.Gpus[1].Present & GpuFields.Power));
        Assert.NotEqual(0, (int)(collector.Gpus[1].Present & GpuFields.Temperature));
        Assert.NotEqual(0, (int)(collector.Gpus[0].Present & GpuFields.Power));
        var page = Page(collector);
        Assert.Contains($"runai_gpu_power_watts{{gpu=\"0\",uuid=\"{Gpu0}\"", page);
        Assert.DoesNotContain($"runai_gpu_power_watts{{gpu=\"1\"", page);
        Assert.Contains($"runai_gpu_up{{gpu=\"1\",uuid=\"{Gpu1}\",model=\"NVIDIA H200\",pci_bus_id=\"00000000:27:00.0\",node=\"node-a\",namespace=\"\",pod=\"\",container=\"\",workload=\"\"}} 1", page);
        // Not an error: the GPU simply has no such sensor.
        Assert.Equal(0UL, collector.Errors.Get(NvmlFunction.Power, NvmlReturn.NotSupported));
    }

    [Theory]
    [InlineData((int)NvmlReturn.InvalidArgument)]
    [InlineData((int)NvmlReturn.NoPermission)]
    [InlineData((int)NvmlReturn.NotFound)]
    [InlineData((int)NvmlReturn.InsufficientSize)]
    [InlineData((int)NvmlReturn.Timeout)]
    [InlineData((int)NvmlReturn.Unknown)]
    public void AFailingCallLeavesItsFieldOutOfThatSampleAndIsCounted(int returnCode)
    {
        var code = (NvmlReturn)returnCode;
        var collector = Started(NvmlSim.TwoGpus + $"fault call=nvmlDeviceGetTemperature gpu=0 code={(int)code}\n");

        var gpu = collector.Gpus[0];
        Assert.True(gpu.Up);
        Assert.Equal(0, (int)(gpu.Present & GpuFields.Temperature));
        Assert.NotEqual(0, (int)(gpu.Present & GpuFields.Power));
        Assert.Equal(GpuFields.None, gpu.Unsupported);
        Assert.Equal(1UL, collector.Errors.Get(NvmlFunction.Temperature, code));
        var page = Page(collector);
        Assert.Contains($"runai_node_exporter_nvml_errors_total{{function=\"nvmlDeviceGetTemperature\",error=\"{NvmlReturnNames.LabelOf(code)}\"}} 1", page);
        Assert.DoesNotContain("runai_gpu_temperature_celsius{gpu=\"0\"", page);

        // The fault goes away: the field is back on the next sample, without a re-init.
        sim.Write(NvmlSim.TwoGpus);
        collector.Sample();
        Assert.Equal(41, gpu.TemperatureCelsius);
        Assert.NotEqual(0, (int)(gpu.Present & GpuFields.Temperature));
    }

    [Fact]
    public void FunctionNotFoundFromACallIsTreatedAsNotSupported()
    {
        var collector = Started(NvmlSim.TwoGpus + $"fault call=nvmlDeviceGetClockInfo gpu=* code={(int)NvmlReturn.FunctionNotFound}\n");

        Assert.All(collector.Gpus, g => Assert.Equal(GpuFields.SmClock | GpuFields.MemoryClock, g.Unsupported));
        Assert.DoesNotContain("runai_gpu_sm_clock_hertz{", Page(collector));
    }

    [Fact]
    public void UninitializedTriggersAReInitialisation()
    {
        var collector = Started(NvmlSim.TwoGpus + $"fault call=nvmlDeviceGetUtilizationRates gpu=0 code={(int)NvmlReturn.Uninitialized}\n");

        Assert.True(collector.NeedsReinit);
        sim.Write(NvmlSim.TwoGpus);
        Assert.True(collector.EnsureStarted());
        Assert.False(collector.NeedsReinit);
        collector.Sample();
        Assert.Equal(0.35, collector.Gpus[0].UtilizationRatio, 6);
    }

    [Theory]
    [InlineData((int)NvmlReturn.DriverNotLoaded, (int)NvmlStatus.DriverMissing)]
    [InlineData((int)NvmlReturn.LibraryNotFound, (int)NvmlStatus.DriverMissing)]
    [InlineData((int)NvmlReturn.NoPermission, (int)NvmlStatus.InitFailed)]
    [InlineData((int)NvmlReturn.Unknown, (int)NvmlStatus.InitFailed)]
    public void AFailedInitialisationSaysWhyAndIsRetried(int returnCode, int expectedStatus)
    {
        var code = (NvmlReturn)returnCode;
        var status = (NvmlStatus)expectedStatus;
        sim.Write(NvmlSim.TwoGpus + $"fault call=nvmlInit_v2 code={(int)code}\n");
        var collector = new NvmlCollector(sim.Directory, TimeProvider.System, retryInterval: TimeSpan.Zero);

        Assert.False(collector.EnsureStarted());
        Assert.Equal(status, collector.Status);
        Assert.Contains(NvmlReturnNames.LabelOf(code), collector.Problem);
        Assert.Equal(1UL, collector.Errors.Get(NvmlFunction.Init, code));

        sim.Write(NvmlSim.TwoGpus);
        Assert.True(collector.EnsureStarted());
        Assert.Equal(2, collector.Gpus.Length);
    }

    [Fact]
    public void AMissingLibraryIsReportedAsSuch()
    {
        var collector = new NvmlCollector(Path.Combine(sim.Directory, "nowhere"), TimeProvider.System);

        Assert.False(collector.EnsureStarted());
        Assert.Equal(NvmlStatus.LibraryMissing, collector.Status);
        Assert.Contains("libnvidia-ml.so.1", collector.Problem);
    }

    [Fact]
    public void ALostGpuGoesDownAndComesBackAfterReInitialisation()
    {
        var collector = Started(NvmlSim.TwoGpus);
        Assert.Contains($"runai_gpu_up{{gpu=\"1\",uuid=\"{Gpu1}\"", Page(collector));

        sim.Write(NvmlSim.TwoGpus + "lost gpu=1\n");
        collector.Sample();
        Assert.False(collector.Gpus[1].Up);
        Assert.True(collector.Gpus[0].Up);
        Assert.True(collector.NeedsReinit);
        var down = Page(collector);
        Assert.Contains($"runai_gpu_up{{gpu=\"1\",uuid=\"{Gpu1}\",model=\"NVIDIA H200\",pci_bus_id=\"00000000:27:00.0\",node=\"node-a\",namespace=\"\",pod=\"\",container=\"\",workload=\"\"}} 0", down);
        Assert.DoesNotContain("runai_gpu_temperature_celsius{gpu=\"1\"", down);
        Assert.Contains("runai_gpu_temperature_celsius{gpu=\"0\"", down);
        Assert.True(collector.Errors.Get(NvmlFunction.Utilization, NvmlReturn.GpuIsLost) >= 1);

        // Still lost at re-init: still down, identity kept.
        Assert.True(collector.EnsureStarted());
        collector.Sample();
        Assert.False(collector.Gpus[1].Up);
        Assert.Equal(Gpu1, collector.Gpus[1].Uuid);

        sim.Write(NvmlSim.TwoGpus);
        // A lost handle stays lost until NVML is initialised again, as on a real driver.
        Assert.True(collector.EnsureStarted());
        collector.Sample();
        Assert.True(collector.Gpus[1].Up);
        Assert.False(collector.NeedsReinit);
        Assert.Contains($"runai_gpu_up{{gpu=\"1\",uuid=\"{Gpu1}\",model=\"NVIDIA H200\",pci_bus_id=\"00000000:27:00.0\",node=\"node-a\",namespace=\"\",pod=\"\",container=\"\",workload=\"\"}} 1", Page(collector));
        Assert.Contains("runai_gpu_temperature_celsius{gpu=\"1\"", Page(collector));
    }

    [Fact]
    public void AnXidEventIsCountedOnItsGpu()
    {
        var collector = Started(NvmlSim.TwoGpus);
        sim.Write(NvmlSim.TwoGpus + "xid gpu=1 xid=79 seq=1\nxid gpu=1 xid=79 seq=2\nxid gpu=0 xid=48 seq=3\n");

        var until = TimeProvider.System.GetTimestamp() + TimeProvider.System.TimestampFrequency * 2;
        collector.WaitForEvents(until, CancellationToken.None);

        Assert.Equal(1, collector.Gpus[1].Xids.Count);
        Assert.Equal(79UL, collector.Gpus[1].Xids.XidAt(0));
        Assert.Equal(2UL, collector.Gpus[1].Xids.CountAt(0));
        var page = Page(collector);
        Assert.Contains($"runai_gpu_xid_errors_total{{gpu=\"1\",uuid=\"{Gpu1}\",model=\"NVIDIA H200\",pci_bus_id=\"00000000:27:00.0\",node=\"node-a\",namespace=\"\",pod=\"\",container=\"\",workload=\"\",xid=\"79\"}} 2", page);
        Assert.Contains($"runai_gpu_xid_errors_total{{gpu=\"0\",uuid=\"{Gpu0}\",model=\"NVIDIA H200\",pci_bus_id=\"00000000:17:00.0\",node=\"node-a\",namespace=\"\",pod=\"\",container=\"\",workload=\"\",xid=\"48\"}} 1", page);
    }

    [Fact]
    public void ASlowCallDelaysTheSampleButNotItsResult()
    {
        var collector = Started(NvmlSim.TwoGpus + "slow call=nvmlDeviceGetTemperature ms=150\n");

        // Two GPUs, one slow call each: the sample waits for both and still has every field.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        collector.Sample();
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(290));
        Assert.All(collector.Gpus, g => Assert.Equal(41, g.TemperatureCelsius));
    }

    [Fact]
    public void AnOlderDriverIsReadThroughTheFallbackEntryPoints()
    {
        using var legacy = new NvmlSim(legacy: true);
        legacy.Write(NvmlSim.TwoGpus + "xid gpu=0 xid=79 seq=1\n");
        var collector = new NvmlCollector(legacy.Directory, TimeProvider.System, retryInterval: TimeSpan.Zero);

        Assert.True(collector.EnsureStarted(), collector.Problem);
        collector.Sample();

        var gpu = collector.Gpus[0];
        Assert.Equal(Gpu0, gpu.Uuid);
        Assert.Equal("00000000:17:00.0", gpu.PciBusId);
        Assert.Equal(75377UL << 20, gpu.MemoryTotalBytes);
        // No energy counter in that driver: the series is left out, the rest stands.
        Assert.Equal(GpuFields.Energy, gpu.Unsupported);
        Assert.DoesNotContain("runai_gpu_energy_joules_total{", Page(collector));
        Assert.Contains("runai_gpu_power_watts{gpu=\"0\"", Page(collector));
    }

    [Fact]
    public void SamplingAndRenderingAllocateNothingOnceWarm()
    {
        var collector = Started(NvmlSim.TwoGpus + "fault call=nvmlDeviceGetPowerUsage gpu=1 code=3\n");
        var writer = new ExpositionWriter();
        var exposition = new NodeExposition("node-a", dcgmNames: true);
        var owners = new GpuOwners(new Dictionary<string, GpuOwner> { [Gpu0] = new("team-a", "trainer-0", "main", "trainer") });
        var health = new ExporterHealth { Source = TelemetrySource.Nvml, NvmlErrors = collector.Errors };
        collector.Gpus[0].Xids.Add(79);
        for (var i = 0; i < 3; i++)
        {
            collector.Sample();
            exposition.Render(writer, collector.Gpus, owners, health);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 50; i++)
        {
            collector.Sample();
            exposition.Render(writer, collector.Gpus, owners, health);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Contains("namespace=\"team-a\",pod=\"trainer-0\",container=\"main\",workload=\"trainer\"", writer.ToString());
    }
}
