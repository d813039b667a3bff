using System.Text;
using Runai.NodeDaemon.Kube;

namespace Runai.NodeDaemon.Tests.Attribution;

public sealed class NodeGpuLabelsTests
{
    private static GpuInventoryEntry Gpu(int i, string model = "NVIDIA H200", ulong mib = 75377) => new(i, $"GPU-{i}", model, mib << 20);

    [Fact]
    public void LabelsAreTheFirstModelWithDashesTheCountAndTheSmallestMemoryInMiB()
    {
        var desired = NodeGpuLabels.Desired([Gpu(0), Gpu(1, mib: 70000), Gpu(2)])!;

        Assert.Equal("NVIDIA-H200", desired["nvidia.com/gpu.product"]);
        Assert.Equal("3", desired["nvidia.com/gpu.count"]);
        Assert.Equal("70000", desired["nvidia.com/gpu.memory"]);
        Assert.Equal(3, desired.Count);
    }

    [Fact]
    public void NothingIsClaimedUntilEveryGpuIsKnown()
    {
        Assert.Null(NodeGpuLabels.Desired([]));
        Assert.Null(NodeGpuLabels.Desired([Gpu(0), Gpu(1, mib: 0)]));
        Assert.Null(NodeGpuLabels.Desired([Gpu(0, model: "")]));
    }

    [Fact]
    public void ThePatchCarriesOnlyTheLabelsThatDiffer()
    {
        var desired = NodeGpuLabels.Desired([Gpu(0), Gpu(1)])!;
        var current = new Dictionary<string, string> { ["nvidia.com/gpu.product"] = "NVIDIA-H200", ["nvidia.com/gpu.count"] = "8", ["team"] = "a" };

        var patch = NodeGpuLabels.Patch(current, desired);

        Assert.Equal("""{"metadata":{"labels":{"nvidia.com/gpu.count":"2","nvidia.com/gpu.memory":"75377"}}}""", Encoding.UTF8.GetString(patch!));
        Assert.Null(NodeGpuLabels.Patch(new Dictionary<string, string>(desired) { ["team"] = "a" }, desired));
    }
}
