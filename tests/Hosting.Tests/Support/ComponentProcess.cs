using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Runai.Hosting.Tests.Support;

/// <summary>
/// A component host run as its own process, as a pod runs it: its log lines are kept, its HTTP endpoints read,
/// and it can be stopped the two ways a node stops a pod (SIGTERM, then SIGKILL).
/// </summary>
internal sealed partial class ComponentProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource<Uri> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ComponentProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public Uri? Url => _url.Task.IsCompletedSuccessfully ? _url.Task.Result : null;

    /// <summary>Everything the process wrote so far, stdout and stderr interleaved as they arrived.</summary>
    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public static ComponentProcess Start(string dll, params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // Only what the command line says: no identity, kubeconfig or tracing leaking in from the test run.
        foreach (var name in new[] { "POD_NAME", "KUBECONFIG", "OTEL_EXPORTER_OTLP_ENDPOINT", "KUBERNETES_SERVICE_HOST" })
        {
            psi.Environment.Remove(name);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {dll}");
        var host = new ComponentProcess(process);
        process.OutputDataReceived += (_, e) => host.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => host.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }

        if (ServesOn().Match(line) is { Success: true } m)
        {
            _url.TrySetResult(new Uri(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value));
        }
    }

    /// <summary>Waits for the line that says where /metrics is served (the port is picked by the OS).</summary>
    public async Task<Uri> WaitForUrlAsync(TimeSpan timeout)
    {
        try
        {
            return await _url.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the host did not report its address within {timeout.TotalSeconds}s; output:\n{Output}");
        }
    }

    public bool OutputContains(string text) => Output.Contains(text, StringComparison.Ordinal);

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var response = await Http.GetAsync(new Uri(Url ?? throw new InvalidOperationException("no address yet"), path));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>GET with the given Accept-Encoding; the body as sent (not decoded) and its Content-Encoding.</summary>
    public async Task<(HttpStatusCode Status, string? Encoding, byte[] Body)> GetEncodedAsync(string path, string acceptEncoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Url ?? throw new InvalidOperationException("no address yet"), path));
        request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        using var response = await Http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentEncoding.SingleOrDefault(), await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>The value of one series in /metrics, or null when the process does not answer or lacks the series.</summary>
    public async Task<double?> SampleAsync(string series)
    {
        if (Url is null || _process.HasExited)
        {
            return null;
        }

        try
        {
            var (status, body) = await GetAsync("/metrics");
            return status == HttpStatusCode.OK ? Metrics.Sample(body, series) : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public async Task<bool> LeadsAsync(string component) =>
        await SampleAsync($"runai_controller_leader{{component=\"{component}\"}}") == 1;

    /// <summary>SIGTERM, what the kubelet sends first.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill -TERM {_process.Id} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>SIGKILL: no chance to release the lease.</summary>
    public void Kill() => _process.Kill(entireProcessTree: false);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the process did not exit within {timeout.TotalSeconds}s; output:\n{Output}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    // The text line names the address; a JSON line carries it as the Urls property.
    [GeneratedRegex(@"serves /metrics, /healthz and /readyz on (http://[^\s,;]+)|""Urls"":""(http://[^"",]+)")]
    private static partial Regex ServesOn();
}

/// <summary>Reads one series from the Prometheus text format.</summary>
internal static class Metrics
{
    public static double? Sample(string exposition, string series)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(series, StringComparison.Ordinal) && line.Length > series.Length && line[series.Length] == ' ')
            {
                return double.Parse(line.AsSpan(series.Length + 1).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}

/// <summary>Polls a condition until it holds or the time is up, then fails with what was being waited for.</summary>
internal static class Eventually
{
    public static async Task<TimeSpan> HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await condition())
            {
                return clock.Elapsed;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"not within {timeout.TotalSeconds}s: {describe()}");
            }

            await Task.Delay(100);
        }
    }
}
