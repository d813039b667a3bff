using Runai.Sim.Kubelet;
using Runai.Sim.Tests.Operators.Support;

namespace Runai.Sim.Tests.Kubelet;

public sealed class GpuAllocatorTests
{
    [Fact]
    public void GpuUuidsAreStableAndDistinctPerNodeAndIndex()
    {
        var first = GpuAllocator.UuidOf("gpu-worker-01", 0);

        Assert.Equal(first, GpuAllocator.UuidOf("gpu-worker-01", 0));
        Assert.NotEqual(first, GpuAllocator.UuidOf("gpu-worker-01", 1));
        Assert.NotEqual(first, GpuAllocator.UuidOf("gpu-worker-02", 0));
        Assert.Matches("^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", first);
    }

    [Fact]
    public void PodGetsTheLowestFreeDevicesAndGivesThemBack()
    {
        var node = new GpuAllocator("n", 4);
        var a = node.Allocate(TestObjects.Pod("a", gpus: 2)).Devices!;
        var b = node.Allocate(TestObjects.Pod("b", gpus: 1)).Devices!;

        Assert.Equal([node.Devices[0].Uuid, node.Devices[1].Uuid], a.Containers["main"]);
        Assert.Equal([node.Devices[2].Uuid], b.Containers["main"]);
        Assert.True(node.Release(a.PodUid));
        Assert.Equal(3, node.Free.Count);
        Assert.Equal([node.Devices[0].Uuid, node.Devices[1].Uuid], node.Allocate(TestObjects.Pod("c", gpus: 2)).Devices!.Containers["main"]);
    }

    [Fact]
    public void AllocatingAgainAnswersWhatThePodAlreadyHolds()
    {
        var node = new GpuAllocator("n", 4);
        var pod = TestObjects.Pod("a", gpus: 2);

        Assert.Same(node.Allocate(pod).Devices, node.Allocate(pod).Devices);
        Assert.Equal(2, node.Free.Count);
    }

    [Fact]
    public void PodWithoutGpusHoldsNothing()
    {
        var (devices, error) = new GpuAllocator("n", 4).Allocate(TestObjects.Pod("cpu-only"));

        Assert.Null(devices);
        Assert.Null(error);
    }

    [Fact]
    public void TooFewFreeDevicesIsTheDeviceManagersAdmissionError()
    {
        var node = new GpuAllocator("n", 4);
        node.Allocate(TestObjects.Pod("a", gpus: 3));

        var (devices, error) = node.Allocate(TestObjects.Pod("b", gpus: 2));

        Assert.Null(devices);
        Assert.Equal("Allocate failed due to requested number of devices unavailable for nvidia.com/gpu. Requested: 2, Available: 1, which is unexpected", error);
    }

    [Fact]
    public void FractionalGpuRequestIsRejectedByName()
    {
        var pod = TestObjects.Pod("half");
        pod.Spec.Containers[0].Resources.Limits["nvidia.com/gpu"] = new k8s.Models.ResourceQuantity("500m");

        var e = Assert.Throws<FormatException>(() => new GpuAllocator("n", 4).Allocate(pod));
        Assert.Contains("nvidia.com/gpu", e.Message);
    }
}
