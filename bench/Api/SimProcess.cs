using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Runai.Bench;

/// <summary>
/// The simulated API server run as its own process (<c>dotnet Runai.Sim.dll --no-workloads</c>), so the memory and CPU
/// read from /proc are the server's alone, not the load driver's.
/// </summary>
internal sealed class SimProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _outputTail;

    private SimProcess(Process process, Queue<string> outputTail, string runDirectory, string kubeconfigPath, Uri apiUrl)
    {
        _process = process;
        _outputTail = outputTail;
        RunDirectory = runDirectory;
        KubeconfigPath = kubeconfigPath;
        ApiUrl = apiUrl;
    }

    public int Pid => _process.Id;
    public string RunDirectory { get; }
    public string KubeconfigPath { get; }
    public Uri ApiUrl { get; }

    /// <summary>Where the build put Runai.Sim.dll for this configuration (Bench.csproj builds sim/ first).</summary>
    public static string BuiltAssemblyPath() =>
        typeof(SimProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "SimAssemblyPath")?.Value
        ?? throw new BenchmarkFailedException("the bench assembly does not record where Runai.Sim.dll is; pass --sim-dll PATH");

    public static async Task<SimProcess> StartAsync(string simDll, CancellationToken ct)
    {
        if (!File.Exists(simDll))
        {
            throw new BenchmarkFailedException($"the simulated cluster is not built: {simDll} does not exist (dotnet build sim -c Release, or pass --sim-dll PATH)");
        }

        var runDir = Directory.CreateTempSubdirectory("runai-bench-api-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { simDll, "--listen", "127.0.0.1:0", "--run-dir", runDir, "--no-workloads", "--log-level", "Warning" })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start) ?? throw new BenchmarkFailedException("could not start dotnet for the simulated cluster");
        var tail = new Queue<string>();
        void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > 40)
                {
                    tail.Dequeue();
                }
            }
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // sim.json is written last and atomically, once the server answers.
        var ready = Path.Combine(runDir, "sim.json");
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(ready))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(90))
            {
                var why = process.HasExited ? $"exited with code {process.ExitCode}" : "was not ready within 90 s";
                string output;
                lock (tail)
                {
                    output = string.Join('\n', tail);
                }

                KillQuietly(process);
                throw new BenchmarkFailedException($"the simulated cluster {why}; its last output:\n{output}");
            }

            await Task.Delay(100, ct);
        }

        var info = JsonNode.Parse(await File.ReadAllTextAsync(ready, ct))!;
        return new SimProcess(process, tail, runDir, Path.Combine(runDir, "kubeconfig"), new Uri((string)info["kubeApi"]!));
    }

    /// <summary>Resident and peak resident memory in bytes (VmRSS, VmHWM of /proc/PID/status).</summary>
    public (long Rss, long Peak) Memory()
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line);
            }
        }

        return (rss, peak);

        static long Kilobytes(string line) =>
            long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The server's last lines of output (warnings and errors only: it runs at --log-level Warning).</summary>
    public string OutputTail()
    {
        lock (_outputTail)
        {
            return string.Join('\n', _outputTail);
        }
    }

    /// <summary>CPU time the server has used so far (user + system).</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM lets the server stop as it would under a supervisor; it is killed if it lingers.
            _ = Kill(_process.Id, 15);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                KillQuietly(_process);
            }
        }

        _process.Dispose();
        try
        {
            Directory.Delete(RunDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private static void KillQuietly(Process p)
    {
        try
        {
            p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    // DllImport, not LibraryImport: the generated stub would need unsafe code for this one blittable call.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
