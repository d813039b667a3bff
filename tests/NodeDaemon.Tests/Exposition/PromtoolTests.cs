using Runai.NodeDaemon.Attribution;
using Runai.NodeDaemon.Exposition;
using Runai.NodeDaemon.Nvml;
using Runai.NodeDaemon.Tests.Support;

namespace Runai.NodeDaemon.Tests.Exposition;

public sealed class PromtoolTests : IDisposable
{
    private readonly NvmlSim sim = new();

    public void Dispose() => sim.Dispose();

    [Fact]
    public async Task PromtoolHasNothingToSayAboutAnyRunaiSeries()
    {
        // A page with every family filled: an attributed GPU, a lost one, an Xid, an NVML error, the DCGM names.
        sim.Write(NvmlSim.TwoGpus + "fault call=nvmlDeviceGetTemperature gpu=0 code=999\n");
        var collector = new NvmlCollector(sim.Directory, TimeProvider.System, TimeSpan.Zero);
        Assert.True(collector.EnsureStarted());
        collector.Sample();
        sim.Write(NvmlSim.TwoGpus + "lost gpu=1\n");
        collector.Sample();
        collector.Gpus[0].Xids.Add(79);
        var writer = new ExpositionWriter();
        var owners = new GpuOwners(new Dictionary<string, GpuOwner> { [collector.Gpus[0].Uuid] = new("team \"a\"", "p-0", "main", "w\\1") });
        new NodeExposition("node-a", dcgmNames: true).Render(writer, collector.Gpus, owners,
            new ExporterHealth { Source = TelemetrySource.Nvml, NvmlErrors = collector.Errors, PodResourcesUp = true });
        var page = writer.ToString();
        Assert.Contains("runai_gpu_up{gpu=\"1\"", page);
        Assert.Contains("error=\"UNKNOWN\"", page);

        var said = await Promtool.CheckMetricsAsync(page);

        Assert.DoesNotContain("runai_", said);
    }
}
