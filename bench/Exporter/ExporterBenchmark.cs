using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Prometheus;

namespace Runai.Bench.Exporter;

/// <summary>
/// Scrape cost of workload-exporter at cluster scale: the simulated API server (its own process) holds N workloads with
/// their pods, nodes and projects; the built exporter (its own process) watches it; the driver scrapes /metrics over
/// HTTP and reads the exporter's memory and CPU from /proc. The reference is the same series in a bare prometheus-net
/// registry, exported in the driver's process without HTTP (which only flatters the reference).
/// </summary>
internal sealed class ExporterBenchmark(bool quick, string simDll, string exporterDll, TextWriter progress)
{
    private const int Concurrency = 16;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(2) };
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ExporterObjects _objects = new(workloads: 10_000, podsPerWorkload: 5, nodes: 1_000, projects: 50);
    private int Scrapes => quick ? 20 : 100;

    /// <summary>
    /// Scrapes before the measured ones, for the exporter and the bare registry alike. The JIT recompiles hot code in
    /// stages (instrumented, then optimised with the profile), each after 30 calls and on a background thread that shares
    /// the two cores: after 40 scrapes it still took a third of the exporter's CPU, after 150 it was done. A Prometheus
    /// scraping every 15 s gets there within the exporter's first hour; the first scrapes are reported as the cold figures.
    /// </summary>
    private const int WarmUpScrapes = 150;

    /// <summary>The first scrapes after start, reported as the cold figures.</summary>
    private const int ColdScrapes = 10;
    private int LagSamples => quick ? 5 : 20;

    public async Task<JsonObject> RunAsync(CancellationToken ct)
    {
        var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        Say($"starting the simulated cluster ({simDll})");
        await using var sim = await SimProcess.StartAsync(simDll, ct);
        using var api = ApiConnection.FromKubeconfig(sim.KubeconfigPath);
        await PopulateAsync(api, ct);

        Say($"starting the exporter ({exporterDll})");
        var started = Stopwatch.GetTimestamp();
        await using var exporter = ExporterProcess.Start(exporterDll, sim.KubeconfigPath);
        await WaitReadyAsync(exporter, ct);
        var syncSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var (rssAfterSync, _) = exporter.Memory();
        Say($"ready after {syncSeconds:0.0} s");

        // The first scrapes after start run code the JIT has not optimised yet: they are reported on their own (cold), and
        // the figures that follow are those of a warm exporter, as Prometheus sees it once it has scraped for a while.
        var sink = new byte[1 << 20];
        var cold = new List<double>();
        var coldCpuBefore = exporter.CpuTime();
        var coldCpuPerScrape = 0.0;
        for (var i = 0; i < WarmUpScrapes; i++)
        {
            cold.Add((await ScrapeCountingAsync(exporter, sink, ct)).Ms);
            if (i == ColdScrapes - 1) coldCpuPerScrape = (exporter.CpuTime() - coldCpuBefore).TotalMilliseconds / ColdScrapes;
        }

        var firstScrapes = cold.Take(ColdScrapes).ToList();
        Say($"warm-up: first scrape {cold[0]:0.0} ms, first {ColdScrapes} p50 {Percentile(firstScrapes, 50):0.0} ms");
        var collectionsBefore = Collections(Encoding.UTF8.GetString((await ScrapeAsync(exporter, ct)).Body));
        var cpuBefore = exporter.CpuTime();
        var times = new List<double>();
        long bytes = 0;
        string last = "";
        for (var i = 0; i < Scrapes; i++)
        {
            // As a scraper reads it: streamed through a fixed buffer, so the driver's own allocations do not weigh on the timing.
            var (ms, length) = await ScrapeCountingAsync(exporter, sink, ct);
            times.Add(ms);
            bytes = length;
        }

        last = Encoding.UTF8.GetString((await ScrapeAsync(exporter, ct)).Body);

        // As Prometheus scrapes by default (Accept-Encoding: gzip): time and bytes on the wire, the exporter's CPU.
        var gzipTimes = new List<double>();
        long gzipBytes = 0;
        var gzipCpuBefore = exporter.CpuTime();
        for (var i = 0; i < Scrapes / 2; i++)
        {
            var (ms, length) = await ScrapeCountingAsync(exporter, sink, ct, gzip: true);
            gzipTimes.Add(ms);
            gzipBytes = length;
        }

        var gzipCpuPerScrape = (exporter.CpuTime() - gzipCpuBefore).TotalMilliseconds / (Scrapes / 2);
        Say($"{Scrapes / 2} gzip scrapes of {gzipBytes / 1e6:0.00} MB: p50 {Percentile(gzipTimes, 50):0.0} ms, p99 {Percentile(gzipTimes, 99):0.0} ms");

        var cpuPerScrape = (exporter.CpuTime() - cpuBefore).TotalMilliseconds / Scrapes;
        var collectionsAfter = Collections(last);
        var (rss, peak, anonymous) = exporter.MemoryDetail();
        var series = last.Split('\n').Count(l => l.StartsWith("runai_", StringComparison.Ordinal) && !l.StartsWith("runai_exporter_", StringComparison.Ordinal) && !l.StartsWith("runai_controller_", StringComparison.Ordinal));
        Say($"{Scrapes} scrapes of {bytes / 1e6:0.0} MB ({series} series): p50 {Percentile(times, 50):0.0} ms, p99 {Percentile(times, 99):0.0} ms; RSS {rss / 1048576.0:0} MiB");

        var lag = await MeasureLagAsync(api, exporter, ct);
        var churn = await MeasureUnderChurnAsync(api, exporter, sink, ct);
        var internalLag = InternalLagMs(Encoding.UTF8.GetString((await ScrapeAsync(exporter, ct)).Body));

        Say("building the same series in a bare prometheus-net registry");
        var bare = await MeasureBareRegistryAsync(last, ct);
        if (series < _objects.Workloads || (double)bare["p50_ms"]! <= 0)
            throw new BenchmarkFailedException($"the exporter served {series} series for {_objects.Workloads} workloads; the bench measured nothing");
        var ratio = Percentile(times, 50) / (double)bare["p50_ms"]!;

        return new JsonObject
        {
            ["benchmark"] = "exporter",
            ["quick"] = quick,
            ["workloads"] = _objects.Workloads,
            ["pods"] = _objects.Pods,
            ["nodes"] = _objects.Nodes,
            ["projects"] = _objects.Projects,
            ["series"] = series,
            ["scrapes"] = Scrapes,
            ["scrape_p50_ms"] = Round(Percentile(times, 50)),
            ["scrape_p99_ms"] = Round(Percentile(times, 99)),
            ["scrape_max_ms"] = Round(times.Max()),
            ["gc_during_scrapes"] = new JsonObject
            {
                ["gen0"] = collectionsAfter[0] - collectionsBefore[0],
                ["gen1"] = collectionsAfter[1] - collectionsBefore[1],
                ["gen2"] = collectionsAfter[2] - collectionsBefore[2],
            },
            ["gzip"] = new JsonObject
            {
                ["scrape_p50_ms"] = Round(Percentile(gzipTimes, 50)),
                ["scrape_p99_ms"] = Round(Percentile(gzipTimes, 99)),
                ["bytes_per_scrape"] = gzipBytes,
                ["cpu_ms_per_scrape"] = Round(gzipCpuPerScrape),
                ["scrapes"] = gzipTimes.Count,
            },
            ["warm_up_scrapes"] = WarmUpScrapes,
            ["cold"] = new JsonObject
            {
                ["first_scrape_ms"] = Round(cold[0]),
                [$"first_{ColdScrapes}_p50_ms"] = Round(Percentile(firstScrapes, 50)),
                [$"first_{ColdScrapes}_max_ms"] = Round(firstScrapes.Max()),
                ["cpu_ms_per_scrape"] = Round(coldCpuPerScrape),
            },
            ["bytes_per_scrape"] = bytes,
            ["cpu_ms_per_scrape"] = Round(cpuPerScrape),
            ["rss_mb"] = Round(rss / 1048576.0),
            ["rss_peak_mb"] = Round(peak / 1048576.0),
            ["rss_anon_mb"] = Round(anonymous / 1048576.0),
            ["rss_after_sync_mb"] = Round(rssAfterSync / 1048576.0),
            ["managed_heap_mb"] = SampleValue(last, "dotnet_total_memory_bytes") is { } heap ? Round(heap / 1048576.0) : null,
            ["sync_s"] = Round(syncSeconds),
            ["write_to_scrape_ms"] = lag,
            ["churn"] = churn,
            ["event_to_series_mean_ms"] = internalLag,
            ["bare_registry"] = bare,
            ["ratio_vs_bare_registry"] = Math.Round(ratio, 3),
            ["machine"] = WithLoad(BenchHost.Machine(), load),
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
    }

    private async Task PopulateAsync(ApiConnection api, CancellationToken ct)
    {
        async Task Each(string what, int count, Func<int, Task> create)
        {
            var sw = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = ct },
                async (i, _) => await create(i));
            Say($"created {count} {what} in {sw.Elapsed.TotalSeconds:0.0} s");
        }

        await Each("namespaces", _objects.Projects, p => api.PostAsync("api/v1/namespaces", _objects.Namespace(p), ct));
        await Each("projects", _objects.Projects, p => api.PostAsync("apis/run.ai/v2alpha1/projects", _objects.Project(p), ct));
        await Each("nodes", _objects.Nodes, n => api.PostAsync("api/v1/nodes", _objects.Node(n), ct));
        await Each("workloads", _objects.Workloads, w =>
            api.PostAsync($"apis/run.ai/v2alpha1/namespaces/{_objects.NamespaceOf(w)}/trainingworkloads", _objects.Workload(w), ct));
        await Each("pods", _objects.Pods, i =>
            api.PostAsync($"api/v1/namespaces/{_objects.NamespaceOf(i / (_objects.Pods / _objects.Workloads))}/pods", _objects.Pod(i), ct));
    }

    private static async Task WaitReadyAsync(ExporterProcess exporter, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (exporter.HasExited) throw new BenchmarkFailedException($"the exporter exited:\n{exporter.OutputTail()}");
            if (deadline.Elapsed > TimeSpan.FromMinutes(5)) throw new BenchmarkFailedException($"the exporter was not ready within 5 min:\n{exporter.OutputTail()}");
            try
            {
                using var r = await Http.GetAsync(new Uri(exporter.Url, "/readyz"), ct);
                if (r.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, ct);
        }
    }

    private static async Task<(double Ms, byte[] Body)> ScrapeAsync(ExporterProcess exporter, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(exporter.Url, "/metrics"));
        request.Headers.TryAddWithoutValidation("Accept", "text/plain;version=0.0.4");
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        return (Stopwatch.GetElapsedTime(start).TotalMilliseconds, body);
    }

    private static async Task<(double Ms, long Bytes)> ScrapeCountingAsync(ExporterProcess exporter, byte[] sink, CancellationToken ct, bool gzip = false)
    {
        var start = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(exporter.Url, "/metrics"));
        request.Headers.TryAddWithoutValidation("Accept", "text/plain;version=0.0.4");
        if (gzip) request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip");
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(sink, ct)) > 0) total += read;
        if (gzip && !response.Content.Headers.ContentEncoding.Contains("gzip")) throw new BenchmarkFailedException("the exporter did not answer gzip when asked");
        return (Stopwatch.GetElapsedTime(start).TotalMilliseconds, total);
    }

    /// <summary>From a workload annotation write's response to the first scrape showing its new value (bounded below by one scrape).</summary>
    /// <summary>Annotation writes per second during the churn phase: the steady rate of the annotations benchmark.</summary>
    private const int ChurnWritesPerSecond = 200;

    /// <summary>
    /// Scrapes while workloads change: <see cref="ChurnWritesPerSecond"/> annotation writes a second go to the API server
    /// (and so to the exporter's informers, which re-render those workloads) for as long as the scrapes take.
    /// </summary>
    private async Task<JsonObject> MeasureUnderChurnAsync(ApiConnection api, ExporterProcess exporter, byte[] sink, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writes = 0;
        var writer = Task.Run(async () =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    // Paced against the clock, so a slow response is made up for rather than lowering the rate.
                    var due = (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * ChurnWritesPerSecond);
                    if (writes >= due)
                    {
                        await Task.Delay(5, stop.Token);
                        continue;
                    }

                    var w = writes * 7919 % _objects.Workloads;
                    var patch = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new JsonObject
                    {
                        ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["runai-preemptions"] = (writes % 5).ToString(CultureInfo.InvariantCulture) } },
                    });
                    await api.SendAsync(HttpMethod.Patch, $"apis/run.ai/v2alpha1/namespaces/{_objects.NamespaceOf(w)}/trainingworkloads/{_objects.WorkloadName(w)}",
                        patch, ApiConnection.MergePatch, stop.Token);
                    writes++;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }, ct);

        await Task.Delay(1000, ct); // the writes under way before the first timed scrape
        var times = new List<double>();
        var cpuBefore = exporter.CpuTime();
        var clock = Stopwatch.StartNew();
        var writesBefore = writes;
        for (var i = 0; i < Scrapes / 2; i++) times.Add((await ScrapeCountingAsync(exporter, sink, ct, gzip: true)).Ms);
        var seconds = clock.Elapsed.TotalSeconds;
        var writesDuring = writes - writesBefore;
        var cpu = (exporter.CpuTime() - cpuBefore).TotalMilliseconds;
        await stop.CancelAsync();
        await writer;
        Say($"{times.Count} gzip scrapes during {writesDuring / seconds:0} writes/s: p50 {Percentile(times, 50):0.0} ms, p99 {Percentile(times, 99):0.0} ms");
        return new JsonObject
        {
            ["writes_per_s"] = Round(writesDuring / seconds),
            ["scrape_p50_ms"] = Round(Percentile(times, 50)),
            ["scrape_p99_ms"] = Round(Percentile(times, 99)),
            ["exporter_cpu_percent"] = Round(cpu / (seconds * 1000) * 100),
            ["scrapes"] = times.Count,
        };
    }

    private async Task<JsonObject> MeasureLagAsync(ApiConnection api, ExporterProcess exporter, CancellationToken ct)
    {
        var lags = new List<double>();
        for (var k = 0; k < LagSamples; k++)
        {
            var w = k * 37 % _objects.Workloads;
            var value = 100 + k;
            var patch = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new JsonObject
            {
                ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["runai-current-allocated-gpus"] = value.ToString(CultureInfo.InvariantCulture) } },
            });
            var needle = Encoding.UTF8.GetBytes($"runai_workload_gpu_allocation{{workload=\"{_objects.WorkloadName(w)}\",namespace=\"{_objects.NamespaceOf(w)}\",");
            var expected = Encoding.UTF8.GetBytes($"}} {value}\n");
            await api.SendAsync(HttpMethod.Patch, $"apis/run.ai/v2alpha1/namespaces/{_objects.NamespaceOf(w)}/trainingworkloads/{_objects.WorkloadName(w)}",
                patch, ApiConnection.MergePatch, ct);
            var written = Stopwatch.GetTimestamp();
            while (true)
            {
                var (_, body) = await ScrapeAsync(exporter, ct);
                var at = body.AsSpan().IndexOf(needle);
                if (at >= 0)
                {
                    var line = body.AsSpan(at);
                    line = line[..(line.IndexOf((byte)'\n') + 1)];
                    if (line.EndsWith(expected)) break;
                }

                if (Stopwatch.GetElapsedTime(written) > TimeSpan.FromSeconds(30)) throw new BenchmarkFailedException($"workload {w}'s new allocation never reached the exposition");
            }

            lags.Add(Stopwatch.GetElapsedTime(written).TotalMilliseconds);
        }

        return new JsonObject { ["p50"] = Round(Percentile(lags, 50)), ["p99"] = Round(Percentile(lags, 99)), ["samples"] = lags.Count };
    }

    /// <summary>The exporter's own figure: mean of runai_exporter_event_to_series_seconds over every event it has seen.</summary>
    private static double? InternalLagMs(string exposition)
    {
        double sum = 0, count = 0;
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith("runai_exporter_event_to_series_seconds_sum", StringComparison.Ordinal)) sum += Value(line);
            else if (line.StartsWith("runai_exporter_event_to_series_seconds_count", StringComparison.Ordinal)) count += Value(line);
        }

        return count == 0 ? null : Round(sum / count * 1000);
        static double Value(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private async Task<JsonObject> MeasureBareRegistryAsync(string exposition, CancellationToken ct)
    {
        // The registry's own memory: managed bytes it keeps alive (the exposition text it was built from is not counted).
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var (registry, series) = BareRegistry.From(exposition);
        var rss = GC.GetTotalMemory(forceFullCollection: true) - before;
        var times = new List<double>();
        long bytes = 0;
        for (var i = 0; i < Math.Min(Scrapes, 30) + WarmUpScrapes; i++)
        {
            var counter = new CountingStream();
            var start = Stopwatch.GetTimestamp();
            await registry.CollectAndExportAsTextAsync(counter, ExpositionFormat.PrometheusText, ct);
            if (i >= WarmUpScrapes) times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            bytes = counter.Length;
        }

        Say($"bare registry: {series} series, {bytes / 1e6:0.0} MB, p50 {Percentile(times, 50):0.0} ms, +{rss / 1048576.0:0} MiB");
        GC.KeepAlive(registry);
        return new JsonObject
        {
            ["series"] = series,
            ["p50_ms"] = Round(Percentile(times, 50)),
            ["p99_ms"] = Round(Percentile(times, 99)),
            ["bytes"] = bytes,
            ["managed_mb"] = Round(rss / 1048576.0),
            ["samples"] = times.Count,
        };
    }

    /// <summary>The exporter's garbage collections so far by generation, from its own <c>dotnet_collection_count_total</c>.</summary>
    private static int[] Collections(string exposition) =>
        [.. Enumerable.Range(0, 3).Select(g => (int)(SampleValue(exposition, $"dotnet_collection_count_total{{generation=\"{g}\"}}") ?? -1))];

    private static double? SampleValue(string exposition, string name)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(name + " ", StringComparison.Ordinal)) return double.Parse(line[(name.Length + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return null;
    }

    private static JsonObject WithLoad(JsonObject machine, string load)
    {
        machine["loadAverageAtStart"] = load;
        return machine;
    }

    private static double Percentile(List<double> samples, double p) => Percentiles.Of(samples.Order().ToList(), p);

    private static double Round(double v) => Math.Round(v, 2);

    private void Say(string message) => progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {message}");

    /// <summary>A sink that only counts: the reference pays no I/O.</summary>
    private sealed class CountingStream : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Position;
        public override long Position { get; set; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Position += count;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Position += buffer.Length;
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Position += count;
            return Task.CompletedTask;
        }
    }
}
