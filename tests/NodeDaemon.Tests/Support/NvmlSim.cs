using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Runai.NodeDaemon.Tests.Support;

/// <summary>
/// A private copy of the NVML test library (node-daemon/nvml-sim) with its own device file. Each copy is a separate
/// dlopen instance, so tests running side by side do not share simulated GPUs. The daemon's own loader opens the
/// same copy (same path, same handle), which is how the real P/Invoke path runs against it.
/// </summary>
internal sealed unsafe class NvmlSim : IDisposable
{
    private static readonly Lock BuildGate = new();
    private readonly nint handle;
    private int seq;

    public NvmlSim(bool legacy = false)
    {
        var built = Built(legacy);
        Directory = System.IO.Directory.CreateTempSubdirectory("nvml-sim-").FullName;
        LibraryPath = Path.Combine(Directory, "libnvidia-ml.so.1");
        File.Copy(built, LibraryPath);
        ConfigPath = Path.Combine(Directory, "devices.conf");
        handle = NativeLibrary.Load(LibraryPath);
        UseConfig(ConfigPath);
    }

    /// <summary>Points this copy at another device file (the simulated kubelet's, say).</summary>
    public void UseConfig(string path)
    {
        var use = (delegate* unmanaged<byte*, void>)NativeLibrary.GetExport(handle, "nvmlSimUseConfig");
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes) use(p);
    }

    public string Directory { get; }
    public string LibraryPath { get; }
    public string ConfigPath { get; }

    /// <summary>The repository root, found from the test assembly's location.</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Observability.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("the repository root (Observability.sln) was not found above the test assembly");
        }
    }

    /// <summary>The built library; runs make once when ./test.sh has not built it yet.</summary>
    public static string Built(bool legacy)
    {
        var dir = Path.Combine(RepoRoot, "node-daemon", "nvml-sim");
        var path = legacy ? Path.Combine(dir, "build", "legacy", "libnvidia-ml.so.1") : Path.Combine(dir, "build", "libnvidia-ml.so.1");
        lock (BuildGate)
        {
            using var make = Process.Start(new ProcessStartInfo("make", ["-s", "-C", dir]) { RedirectStandardOutput = true, RedirectStandardError = true })
                ?? throw new InvalidOperationException("make could not be started");
            var errors = make.StandardError.ReadToEnd();
            make.WaitForExit();
            if (make.ExitCode != 0) throw new InvalidOperationException($"make -C {dir} failed: {errors}");
        }
        return path;
    }

    /// <summary>Replaces the device file atomically (a new inode, so the library notices at once).</summary>
    public void Write(string config)
    {
        var tmp = ConfigPath + ".tmp" + Interlocked.Increment(ref seq);
        File.WriteAllText(tmp, config);
        File.Move(tmp, ConfigPath, overwrite: true);
    }

    /// <summary>Size of a struct, or offset of a field ("nvmlPciInfo_t.busId"), as gcc laid it out.</summary>
    public int Layout(string what)
    {
        var layout = (delegate* unmanaged<byte*, int>)NativeLibrary.GetExport(handle, "nvmlSimLayout");
        var bytes = Encoding.UTF8.GetBytes(what + "\0");
        fixed (byte* p = bytes) return layout(p);
    }

    /// <summary>A GPU line of the device file.</summary>
    public static string Gpu(int index, string uuid, string name = "NVIDIA H200", int memoryMiB = 75377, int usedMiB = 1024, int util = 35,
        int temperature = 41, int powerMw = 250000, int smMhz = 1980, int memMhz = 3201) =>
        $"gpu index={index} uuid={uuid} name=\"{name}\" pci=00000000:{0x17 + index * 0x10:x2}:00.0 memory_total_mib={memoryMiB} memory_used_mib={usedMiB} " +
        $"util_gpu={util} util_memory=20 temperature={temperature} power_mw={powerMw} energy_mj=5000 sm_mhz={smMhz} memory_mhz={memMhz}\n";

    public static string TwoGpus => Gpu(0, "GPU-00000000-0000-0000-0000-000000000000") + Gpu(1, "GPU-11111111-1111-1111-1111-111111111111", util: 80);

    public void Dispose()
    {
        // The library stays loaded (NVML handles may still be referenced); only its files go.
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
