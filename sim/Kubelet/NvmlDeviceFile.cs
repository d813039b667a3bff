using System.Globalization;
using System.Text;

namespace Runai.Sim.Kubelet;

/// <summary>
/// A simulated node's GPU driver, as the NVML test library (node-daemon/nvml-sim) reads it: one line per GPU with the
/// UUID the device plugin hands out, the node's product and memory, and figures that follow the allocations (a held
/// GPU is busy, a free one idles). The kubelet rewrites the file when a pod gets or gives back GPUs; process-backed
/// pods on the node find it through the <c>{nvmlDevices}</c> placeholder of the image map.
/// </summary>
internal static class NvmlDeviceFile
{
    public static string PathOf(string socketDirectory, string node) => Path.Combine(socketDirectory, node, "nvml", "devices.conf");

    public static string Render(SimNodeSpec spec, IReadOnlyList<GpuDevice> devices, IReadOnlyCollection<string> held)
    {
        var text = new StringBuilder("# The GPUs of simulated node ").Append(spec.Name).Append(", written by its kubelet (nvml-sim format).\n");
        // GPU feature discovery turns "NVIDIA H200" into the label NVIDIA-H200; the driver reports the spaced name.
        var name = spec.GpuProduct.Replace('-', ' ');
        foreach (var gpu in devices)
        {
            var busy = held.Contains(gpu.Uuid);
            var used = busy ? spec.GpuMemoryMiB * 85L / 100 : 0;
            text.Append(CultureInfo.InvariantCulture,
                $"gpu index={gpu.Index} uuid={gpu.Uuid} name=\"{name}\" pci=00000000:{0x18 + gpu.Index * 0x10:x2}:00.0 memory_total_mib={spec.GpuMemoryMiB} ")
                .Append(CultureInfo.InvariantCulture, $"memory_used_mib={used} util_gpu={(busy ? 92 : 0)} util_memory={(busy ? 61 : 0)} temperature={(busy ? 67 : 34)} ")
                .Append(CultureInfo.InvariantCulture, $"power_mw={(busy ? 610000 : 76000)} energy_mj=0 sm_mhz={(busy ? 1980 : 345)} memory_mhz=3201\n");
        }
        return text.ToString();
    }

    /// <summary>Writes the file atomically (readers never see half of it).</summary>
    public static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
