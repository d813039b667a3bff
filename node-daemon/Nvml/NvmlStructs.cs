using System.Runtime.InteropServices;

namespace Runai.NodeDaemon.Nvml;

// The structs NVML fills, laid out as nvml.h lays them out on x86-64 Linux (tests compare every size and offset
// with what gcc makes of the same declarations in nvml-sim).

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NvmlPciInfo
{
    public const int BusIdLength = 32;
    public fixed byte BusIdLegacy[16];
    public uint Domain;
    public uint Bus;
    public uint Device;
    public uint PciDeviceId;
    public uint PciSubSystemId;
    public fixed byte BusId[BusIdLength];
}

[StructLayout(LayoutKind.Sequential)]
internal struct NvmlMemory
{
    public ulong Total;
    public ulong Free;
    public ulong Used;
}

[StructLayout(LayoutKind.Sequential)]
internal struct NvmlMemoryV2
{
    /// <summary><c>nvmlMemory_v2</c>: the struct's size with the version in the top byte; NVML refuses any other.</summary>
    public const uint Version2 = 40 | (2u << 24);
    public uint Version;
    public ulong Total;
    public ulong Reserved;
    public ulong Free;
    public ulong Used;
}

[StructLayout(LayoutKind.Sequential)]
internal struct NvmlUtilization
{
    public uint Gpu;
    public uint Memory;
}

[StructLayout(LayoutKind.Sequential)]
internal struct NvmlEventData
{
    public nint Device;
    public ulong EventType;
    public ulong EventData;
    public uint GpuInstanceId;
    public uint ComputeInstanceId;
}

internal static class NvmlConstants
{
    public const int NameBufferSize = 96;
    public const int UuidBufferSize = 96;
    public const ulong EventTypeXidCriticalError = 0x8;
    public const int TemperatureGpu = 0;
    public const int ClockSm = 1;
    public const int ClockMemory = 2;
}
