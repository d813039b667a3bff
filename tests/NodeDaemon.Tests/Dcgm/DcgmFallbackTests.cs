using System.Net;
using Runai.NodeDaemon.Hosting;
using Runai.NodeDaemon.Tests.Support;

namespace Runai.NodeDaemon.Tests.Dcgm;

/// <summary>The exporter without a usable NVML, reading a dcgm-exporter page from a loopback server instead.</summary>
public sealed class DcgmFallbackTests : IAsyncLifetime
{
    private const string DcgmPage = """
        # HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
        # TYPE DCGM_FI_DEV_GPU_UTIL gauge
        DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-d0",device="nvidia0",modelName="NVIDIA H200",pci_bus_id="00000000:17:00.0",Hostname="n1",container="",namespace="",pod=""} 42
        DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-d1",device="nvidia1",modelName="NVIDIA H200",pci_bus_id="00000000:27:00.0",Hostname="n1",container="",namespace="",pod=""} 7
        # HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).
        # TYPE DCGM_FI_DEV_FB_USED gauge
        DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-d0",device="nvidia0",modelName="NVIDIA H200"} 2048
        DCGM_FI_DEV_FB_FREE{gpu="0",UUID="GPU-d0",device="nvidia0",modelName="NVIDIA H200"} 73329
        DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-d0"} 55
        DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-d0"} 312.5
        DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="0",UUID="GPU-d0"} 123456
        DCGM_FI_DEV_SM_CLOCK{gpu="0",UUID="GPU-d0"} 1755
        DCGM_FI_DEV_MEM_CLOCK{gpu="0",UUID="GPU-d0"} 2619
        DCGM_FI_DEV_XID_ERRORS{gpu="1",UUID="GPU-d1"} 79
        """;

    private readonly NvmlSim nvml = new();
    private TextServer dcgm = null!;
    private NodeExporter? exporter;

    public Task InitializeAsync()
    {
        dcgm = new TextServer(DcgmPage);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (exporter is not null) await exporter.DisposeAsync();
        await dcgm.DisposeAsync();
        nvml.Dispose();
    }

    private NodeExporter Start(string nvmlLibrary)
    {
        exporter = new NodeExporter(new DaemonOptions
        {
            Node = "n1",
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Interval = TimeSpan.FromMilliseconds(200),
            NvmlLibrary = nvmlLibrary,
            DcgmUrl = dcgm.Url,
            PodResourcesSocket = Path.Combine(nvml.Directory, "no-kubelet.sock"),
            Kubeconfig = Path.Combine(nvml.Directory, "no-kubeconfig"),
            NodeLabels = false,
        });
        exporter.Start();
        return exporter;
    }

    private static async Task<string> WaitForAsync(NodeExporter e, string text)
    {
        using var http = new HttpClient();
        var page = "";
        await Eventually.TrueAsync(async () => (page = await http.GetStringAsync($"http://{e.MetricsEndPoint}/metrics")).Contains(text), $"the page shows {text}");
        return page;
    }

    [Fact]
    public async Task AMissingLibraryFallsBackToDcgmUnderThisProjectsNames()
    {
        var e = Start(Path.Combine(nvml.Directory, "missing", "libnvidia-ml.so.1"));

        var page = await WaitForAsync(e, "runai_node_exporter_source{source=\"dcgm\"} 1");

        const string gpu0 = "gpu=\"0\",uuid=\"GPU-d0\",model=\"NVIDIA H200\",pci_bus_id=\"00000000:17:00.0\",node=\"n1\",namespace=\"\",pod=\"\",container=\"\",workload=\"\"";
        Assert.Contains("runai_node_exporter_source{source=\"nvml\"} 0", page);
        Assert.Contains($"runai_gpu_utilization_ratio{{{gpu0}}} 0.42", page);
        Assert.Contains($"runai_gpu_memory_used_bytes{{{gpu0}}} {2048L << 20}", page);
        Assert.Contains($"runai_gpu_memory_total_bytes{{{gpu0}}} {75377L << 20}", page);
        Assert.Contains($"runai_gpu_temperature_celsius{{{gpu0}}} 55", page);
        Assert.Contains($"runai_gpu_power_watts{{{gpu0}}} 312.5", page);
        Assert.Contains($"runai_gpu_energy_joules_total{{{gpu0}}} 123.456", page);
        Assert.Contains($"runai_gpu_sm_clock_hertz{{{gpu0}}} 1755000000", page);
        Assert.Contains($"runai_gpu_memory_clock_hertz{{{gpu0}}} 2619000000", page);
        Assert.Contains("runai_gpu_xid_errors_total{gpu=\"1\",uuid=\"GPU-d1\",model=\"NVIDIA H200\",pci_bus_id=\"00000000:27:00.0\",node=\"n1\",namespace=\"\",pod=\"\",container=\"\",workload=\"\",xid=\"79\"} 1", page);
        Assert.Contains("runai_gpu_up{gpu=\"1\",uuid=\"GPU-d1\",model=\"NVIDIA H200\",pci_bus_id=\"00000000:27:00.0\",node=\"n1\",namespace=\"\",pod=\"\",container=\"\",workload=\"\"} 1", page);
    }

    [Fact]
    public async Task ADriverThatIsNotLoadedFallsBackToDcgmToo()
    {
        nvml.Write(NvmlSim.TwoGpus + "fault call=nvmlInit_v2 code=9\n");
        var e = Start(nvml.Directory);

        await WaitForAsync(e, "runai_node_exporter_source{source=\"dcgm\"} 1");

        // The driver comes back: NVML takes over again on its next retry.
        nvml.Write(NvmlSim.TwoGpus);
        var page = await WaitForAsync(e, "runai_node_exporter_source{source=\"nvml\"} 1");
        Assert.True(page.Contains("uuid=\"GPU-00000000-0000-0000-0000-000000000000\""), page);
    }

    [Fact]
    public async Task ABadDcgmPageMarksTheGpusDownAndIsCountedThenReadsAgain()
    {
        var e = Start(Path.Combine(nvml.Directory, "missing"));
        await WaitForAsync(e, "runai_gpu_up{gpu=\"0\",uuid=\"GPU-d0\"");

        dcgm.Body = DcgmPage + "\nDCGM_FI_DEV_GPU_UTIL{gpu=\"0\" 5\n";
        var page = await WaitForAsync(e, "runai_gpu_up{gpu=\"0\",uuid=\"GPU-d0\",model=\"NVIDIA H200\",pci_bus_id=\"00000000:17:00.0\",node=\"n1\",namespace=\"\",pod=\"\",container=\"\",workload=\"\"} 0");
        Assert.DoesNotContain("runai_gpu_utilization_ratio{gpu=\"0\"", page);
        Assert.DoesNotContain("runai_node_exporter_dcgm_scrape_errors_total 0", page);

        dcgm.Body = DcgmPage;
        await WaitForAsync(e, "runai_gpu_utilization_ratio{gpu=\"0\"");
    }
}
