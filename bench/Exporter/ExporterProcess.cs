using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace Runai.Bench.Exporter;

/// <summary>The built workload-exporter run as its own process against the benchmark's cluster, so its memory and CPU are its own.</summary>
internal sealed class ExporterProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private ExporterProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public static string BuiltAssemblyPath() =>
        typeof(ExporterProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "ExporterAssemblyPath")?.Value
        ?? throw new BenchmarkFailedException("the bench assembly does not record where Runai.Exporter.dll is");

    public static ExporterProcess Start(string dll, string kubeconfig)
    {
        if (!File.Exists(dll)) throw new BenchmarkFailedException($"the exporter is not built: {dll} does not exist");
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "--component", "workload-exporter", "--kubeconfig", kubeconfig, "--listen", $"127.0.0.1:{port}", "--identity", "bench", "--log-level", "warning" })
            psi.ArgumentList.Add(a);
        psi.Environment.Remove("KUBERNETES_SERVICE_HOST");
        var process = Process.Start(psi) ?? throw new BenchmarkFailedException("could not start dotnet for the exporter");
        var host = new ExporterProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => host.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => host.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    public bool HasExited => _process.HasExited;

    public string OutputTail()
    {
        lock (_tail) return string.Join('\n', _tail);
    }

    /// <summary>Resident and peak resident memory in bytes.</summary>
    public (long Rss, long Peak) Memory()
    {
        var (rss, peak, _) = MemoryDetail();
        return (rss, peak);
    }

    /// <summary>Resident, peak resident, and anonymous resident memory (heap, stacks; not the mapped assemblies) in bytes.</summary>
    public (long Rss, long Peak, long Anonymous) MemoryDetail()
    {
        long rss = 0, peak = 0, anonymous = 0;
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kb(line);
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anonymous = Kb(line);
        }

        return (rss, peak, anonymous);
        static long Kb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > 40) _tail.Dequeue();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }
}
