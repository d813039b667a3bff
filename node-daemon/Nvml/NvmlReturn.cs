namespace Runai.NodeDaemon.Nvml;

/// <summary>NVML's return codes (<c>nvmlReturn_t</c>), those the daemon tells apart.</summary>
internal enum NvmlReturn
{
    Success = 0,
    Uninitialized = 1,
    InvalidArgument = 2,
    NotSupported = 3,
    NoPermission = 4,
    NotFound = 6,
    InsufficientSize = 7,
    DriverNotLoaded = 9,
    Timeout = 10,
    LibraryNotFound = 12,
    FunctionNotFound = 13,
    GpuIsLost = 15,
    Unknown = 999,
}

internal static class NvmlReturnNames
{
    /// <summary>The constant's name as NVML spells it, for metric labels and logs (bounded: unknown codes share one name).</summary>
    public static string LabelOf(NvmlReturn code) => code switch
    {
        NvmlReturn.Success => "SUCCESS",
        NvmlReturn.Uninitialized => "UNINITIALIZED",
        NvmlReturn.InvalidArgument => "INVALID_ARGUMENT",
        NvmlReturn.NotSupported => "NOT_SUPPORTED",
        NvmlReturn.NoPermission => "NO_PERMISSION",
        NvmlReturn.NotFound => "NOT_FOUND",
        NvmlReturn.InsufficientSize => "INSUFFICIENT_SIZE",
        NvmlReturn.DriverNotLoaded => "DRIVER_NOT_LOADED",
        NvmlReturn.Timeout => "TIMEOUT",
        NvmlReturn.LibraryNotFound => "LIBRARY_NOT_FOUND",
        NvmlReturn.FunctionNotFound => "FUNCTION_NOT_FOUND",
        NvmlReturn.GpuIsLost => "GPU_IS_LOST",
        _ => "UNKNOWN",
    };

    /// <summary>The codes that make NVML unusable on this node: the DCGM fallback takes over.</summary>
    public static bool MeansNoDriver(NvmlReturn code) => code is NvmlReturn.DriverNotLoaded or NvmlReturn.LibraryNotFound;
}
