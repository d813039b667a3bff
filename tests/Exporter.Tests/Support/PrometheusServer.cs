using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Runai.Exporter.Tests.Support;

/// <summary>Debian's <c>prometheus</c>, started for a test with a given scrape configuration, and its HTTP query API.</summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Process _process;
    private readonly DirectoryInfo _dir;
    private readonly List<string> _log = [];

    private PrometheusServer(Process process, DirectoryInfo dir, Uri url)
    {
        _process = process;
        _dir = dir;
        Url = url;
    }

    public Uri Url { get; }

    public string Log
    {
        get
        {
            lock (_log) return string.Join('\n', _log.TakeLast(40));
        }
    }

    /// <summary>Starts Prometheus with <paramref name="scrapeConfigs"/> (YAML under scrape_configs:), scraping every second.</summary>
    public static async Task<PrometheusServer> StartAsync(string scrapeConfigs)
    {
        var dir = Directory.CreateTempSubdirectory("runai-exporter-prom-");
        var config = Path.Combine(dir.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n" + scrapeConfigs);
        var port = FreePort.Next();
        var psi = new ProcessStartInfo("prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--config.file=" + config, "--storage.tsdb.path=" + Path.Combine(dir.FullName, "data"), $"--web.listen-address=127.0.0.1:{port}" })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start prometheus");
        var server = new PrometheusServer(process, dir, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Wait.UntilAsync(async () => (await Http.GetAsync(new Uri(server.Url, "/-/ready"))).IsSuccessStatusCode, "Prometheus to be ready", 30);
        return server;
    }

    /// <summary>An instant query: each result's labels and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        var json = await Http.GetStringAsync(new Uri(Url, "/api/v1/query?query=" + Uri.EscapeDataString(promql)));
        using var doc = JsonDocument.Parse(json);
        var results = new List<(IReadOnlyDictionary<string, string>, double)>();
        foreach (var r in doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            var value = double.Parse(r.GetProperty("value")[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);
            results.Add((labels, value));
        }

        return results;
    }

    /// <summary>The value of a query that must have exactly one result, or null when it has none.</summary>
    public async Task<double?> ScalarAsync(string promql)
    {
        var results = await QueryAsync(promql);
        return results.Count switch
        {
            0 => null,
            1 => results[0].Value,
            _ => throw new InvalidOperationException($"{promql} has {results.Count} results"),
        };
    }

    /// <summary>The scrape targets' health as Prometheus reports it: job, health, last error.</summary>
    public async Task<string> TargetsAsync() => await Http.GetStringAsync(new Uri(Url, "/api/v1/targets"));

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_log) _log.Add(line);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        finally
        {
            _process.Dispose();
            try
            {
                _dir.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
