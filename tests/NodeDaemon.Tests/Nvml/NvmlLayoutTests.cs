using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Runai.NodeDaemon.Nvml;
using Runai.NodeDaemon.Tests.Support;

namespace Runai.NodeDaemon.Tests.Nvml;

/// <summary>The C# structs against gcc's layout of the same declarations (nvml-sim's nvml_sim.h, copied from the driver's ABI).</summary>
public sealed class NvmlLayoutTests : IDisposable
{
    private readonly NvmlSim sim = new();

    public void Dispose() => sim.Dispose();

    [Fact]
    public void StructSizesMatchTheDriverAbi()
    {
        Assert.Equal(sim.Layout("nvmlPciInfo_t"), Unsafe.SizeOf<NvmlPciInfo>());
        Assert.Equal(sim.Layout("nvmlMemory_t"), Unsafe.SizeOf<NvmlMemory>());
        Assert.Equal(sim.Layout("nvmlMemory_v2_t"), Unsafe.SizeOf<NvmlMemoryV2>());
        Assert.Equal(sim.Layout("nvmlUtilization_t"), Unsafe.SizeOf<NvmlUtilization>());
        Assert.Equal(sim.Layout("nvmlEventData_t"), Unsafe.SizeOf<NvmlEventData>());
        // The note's figures, so a wrong header on both sides would still be caught.
        Assert.Equal(68, Unsafe.SizeOf<NvmlPciInfo>());
        Assert.Equal(40, Unsafe.SizeOf<NvmlMemoryV2>());
        Assert.Equal(32, Unsafe.SizeOf<NvmlEventData>());
        Assert.Equal(NvmlMemoryV2.Version2, (uint)sim.Layout("nvmlMemory_v2"));
        Assert.Equal(0x02000028u, NvmlMemoryV2.Version2);
    }

    [Theory]
    [InlineData("nvmlPciInfo_t", "busIdLegacy", nameof(NvmlPciInfo.BusIdLegacy))]
    [InlineData("nvmlPciInfo_t", "domain", nameof(NvmlPciInfo.Domain))]
    [InlineData("nvmlPciInfo_t", "bus", nameof(NvmlPciInfo.Bus))]
    [InlineData("nvmlPciInfo_t", "device", nameof(NvmlPciInfo.Device))]
    [InlineData("nvmlPciInfo_t", "pciDeviceId", nameof(NvmlPciInfo.PciDeviceId))]
    [InlineData("nvmlPciInfo_t", "pciSubSystemId", nameof(NvmlPciInfo.PciSubSystemId))]
    [InlineData("nvmlPciInfo_t", "busId", nameof(NvmlPciInfo.BusId))]
    [InlineData("nvmlMemory_t", "total", nameof(NvmlMemory.Total))]
    [InlineData("nvmlMemory_t", "free", nameof(NvmlMemory.Free))]
    [InlineData("nvmlMemory_t", "used", nameof(NvmlMemory.Used))]
    [InlineData("nvmlMemory_v2_t", "version", nameof(NvmlMemoryV2.Version))]
    [InlineData("nvmlMemory_v2_t", "total", nameof(NvmlMemoryV2.Total))]
    [InlineData("nvmlMemory_v2_t", "reserved", nameof(NvmlMemoryV2.Reserved))]
    [InlineData("nvmlMemory_v2_t", "free", nameof(NvmlMemoryV2.Free))]
    [InlineData("nvmlMemory_v2_t", "used", nameof(NvmlMemoryV2.Used))]
    [InlineData("nvmlUtilization_t", "gpu", nameof(NvmlUtilization.Gpu))]
    [InlineData("nvmlUtilization_t", "memory", nameof(NvmlUtilization.Memory))]
    [InlineData("nvmlEventData_t", "device", nameof(NvmlEventData.Device))]
    [InlineData("nvmlEventData_t", "eventType", nameof(NvmlEventData.EventType))]
    [InlineData("nvmlEventData_t", "eventData", nameof(NvmlEventData.EventData))]
    [InlineData("nvmlEventData_t", "gpuInstanceId", nameof(NvmlEventData.GpuInstanceId))]
    [InlineData("nvmlEventData_t", "computeInstanceId", nameof(NvmlEventData.ComputeInstanceId))]
    public void FieldOffsetsMatchTheDriverAbi(string cStruct, string cField, string field)
    {
        var type = cStruct switch
        {
            "nvmlPciInfo_t" => typeof(NvmlPciInfo),
            "nvmlMemory_t" => typeof(NvmlMemory),
            "nvmlMemory_v2_t" => typeof(NvmlMemoryV2),
            "nvmlUtilization_t" => typeof(NvmlUtilization),
            _ => typeof(NvmlEventData),
        };
        var expected = sim.Layout($"{cStruct}.{cField}");
        Assert.True(expected >= 0, $"the C library does not know {cStruct}.{cField}");
        Assert.Equal(expected, (int)Marshal.OffsetOf(type, field));
    }
}
