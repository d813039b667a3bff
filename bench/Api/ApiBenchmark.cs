using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Bench;

/// <summary>
/// <c>bench api</c>: list/watch throughput and memory of the simulated API server at a cluster's scale.
/// The load is driven by hand (Stopwatch, nearest-rank percentiles) rather than with BenchmarkDotNet, which suits
/// micro-benchmarks of one method, not a server process loaded end to end over HTTPS.
/// </summary>
internal sealed class ApiBenchmark(ApiBenchScale scale, string simDll, TextWriter progress)
{
    private readonly ClusterObjects _objects = new(scale);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly JsonObject _serverCpuMs = new();
    private SimProcess? _sim;

    private SimProcess Sim => _sim ?? throw new InvalidOperationException("the server is not started");

    public async Task<JsonObject> RunAsync(CancellationToken ct)
    {
        Say($"starting the simulated API server ({simDll})");
        var loadAtStart = LoadAverage();
        await using var sim = _sim = await SimProcess.StartAsync(simDll, ct);
        using var api = ApiConnection.FromKubeconfig(sim.KubeconfigPath);
        Say($"server pid {sim.Pid} at {sim.ApiUrl}; {scale.Nodes} nodes, {scale.Pods} pods in {scale.Namespaces} namespaces");
        var result = new JsonObject
        {
            ["benchmark"] = "api",
            ["quick"] = scale == ApiBenchScale.Quick,
            ["nodes"] = scale.Nodes,
            ["pods"] = scale.Pods,
            ["namespaces"] = scale.Namespaces,
            ["concurrency"] = scale.Concurrency,
        };
        var serverCpu = new JsonObject();
        var driverCpu = new JsonObject();
        try
        {
            var baseline = sim.Memory();
            await Phase("populate", sim, serverCpu, driverCpu, () => PopulateAsync(api, result, ct));
            var afterPopulate = sim.Memory();
            await Phase("list", sim, serverCpu, driverCpu, () => ListAsync(api, result, ct));
            await Phase("watch", sim, serverCpu, driverCpu, () => WatchAsync(api, result, ct));
            var end = sim.Memory();
            result["rssMiB"] = new JsonObject
            {
                ["start"] = MiB(baseline.Rss),
                ["afterPopulate"] = MiB(afterPopulate.Rss),
                ["end"] = MiB(end.Rss),
                ["peak"] = MiB(end.Peak),
            };
            // Includes the nodes and whatever garbage the server's GC has not yet returned: an upper bound per pod.
            result["bytesPerPod"] = (afterPopulate.Rss - baseline.Rss) / scale.Pods;
            Say($"server RSS {MiB(baseline.Rss)} MiB at start, {MiB(afterPopulate.Rss)} after populate, {MiB(end.Rss)} at end, peak {MiB(end.Peak)}");
        }
        catch (Exception e) when (e is not OperationCanceledException && sim.HasExited)
        {
            throw new BenchmarkFailedException($"the simulated API server died; its last output:\n{sim.OutputTail()}", e);
        }

        result["serverCpuSeconds"] = serverCpu;
        result["driverCpuSeconds"] = driverCpu;
        // Server CPU per request: steadier than wall-clock rates when the cores are shared with other work.
        result["serverCpuMsPerRequest"] = _serverCpuMs;
        var machine = BenchHost.Machine();
        machine["loadAverage"] = new JsonObject { ["start"] = loadAtStart, ["end"] = LoadAverage() };
        result["machine"] = machine;
        result["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return result;
    }

    private async Task PopulateAsync(ApiConnection api, JsonObject result, CancellationToken ct)
    {
        await LoadAsync("namespaceCreate", scale.Namespaces, (i, t) => api.PostAsync("api/v1/namespaces", _objects.Namespace(i), t), ct);
        var nodes = await LoadAsync("nodeCreate", scale.Nodes, (i, t) => api.PostAsync("api/v1/nodes", _objects.Node(i), t), ct);
        var pods = await LoadAsync("podCreate", scale.Pods,
            (i, t) => api.PostAsync($"api/v1/namespaces/{_objects.NamespaceName(i)}/pods", _objects.Pod(i), t), ct);
        var statuses = await LoadAsync("podStatusWrite", scale.Pods,
            (i, t) => api.SendAsync(HttpMethod.Patch, _objects.PodPath(i) + "/status", _objects.RunningStatus(i), ApiConnection.MergePatch, t), ct);
        result["nodeCreatePerSec"] = Math.Round(nodes.PerSecond);
        result["createPerSec"] = Math.Round(pods.PerSecond);
        result["createLatencyMs"] = Percentiles.Summary(pods.LatenciesMs);
        result["statusWritePerSec"] = Math.Round(statuses.PerSecond);
        result["statusWriteLatencyMs"] = Percentiles.Summary(statuses.LatenciesMs);
    }

    private async Task ListAsync(ApiConnection api, JsonObject result, CancellationToken ct)
    {
        var full = new List<double>();
        long bytes = 0;
        var cpu = Sim.CpuTime();
        for (var r = 0; r < scale.ListRepeats; r++)
        {
            var start = Stopwatch.GetTimestamp();
            bytes = await api.DrainAsync("api/v1/pods", ct);
            full.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        _serverCpuMs["listAll"] = CpuMsPer(cpu, scale.ListRepeats);
        var fullSummary = Percentiles.Summary(full);
        var p50 = (double)fullSummary["p50"]!;
        Say($"list all pods: {bytes / 1e6:F1} MB, p50 {p50} ms over {scale.ListRepeats} lists");
        result["listAllMs"] = fullSummary;
        result["listAllBytes"] = bytes;
        result["listAllMBPerSec"] = Math.Round(bytes / 1e6 / (p50 / 1000), 1);

        // Pages are parsed, as a paginating client must, to follow "continue"; that cost is part of the figure.
        var paged = new List<double>();
        cpu = Sim.CpuTime();
        for (var r = 0; r < scale.ListRepeats; r++)
        {
            var start = Stopwatch.GetTimestamp();
            var (items, pages) = await PaginatedListAsync(api, 500, ct);
            paged.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            Expect(items == scale.Pods, $"a paginated list returned {items} pods in {pages} pages, not {scale.Pods}");
        }

        result["paginatedListMs"] = Percentiles.Summary(paged);
        _serverCpuMs["paginatedList"] = CpuMsPer(cpu, scale.ListRepeats);
        Say($"paginated list (limit=500): p50 {Percentiles.Summary(paged)["p50"]} ms");

        var app = ClusterObjects.AppLabel(7);
        result["labelSelectedListMs"] = await SelectedListAsync(api, $"labelSelector=app%3D{app}",
            Enumerable.Range(0, scale.Pods).Count(i => ClusterObjects.AppLabel(i) == app), ct);
        var node = _objects.NodeName(7);
        result["fieldSelectedListMs"] = await SelectedListAsync(api, $"fieldSelector=spec.nodeName%3D{node}",
            Enumerable.Range(0, scale.Pods).Count(i => _objects.NodeName(i) == node), ct);
    }

    private static async Task<(int Items, int Pages)> PaginatedListAsync(ApiConnection api, int limit, CancellationToken ct)
    {
        int items = 0, pages = 0;
        string? next = null;
        do
        {
            var path = $"api/v1/pods?limit={limit}" + (next is null ? "" : "&continue=" + Uri.EscapeDataString(next));
            using var page = JsonDocument.Parse(await api.GetAsync(path, ct));
            items += page.RootElement.GetProperty("items").GetArrayLength();
            pages++;
            next = page.RootElement.GetProperty("metadata").TryGetProperty("continue", out var c) ? c.GetString() : null;
        }
        while (!string.IsNullOrEmpty(next));

        return (items, pages);
    }

    private async Task<JsonObject> SelectedListAsync(ApiConnection api, string query, int expected, CancellationToken ct)
    {
        var times = new List<double>();
        for (var r = 0; r < scale.ListRepeats; r++)
        {
            var start = Stopwatch.GetTimestamp();
            var body = await api.GetAsync("api/v1/pods?" + query, ct);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            using var doc = JsonDocument.Parse(body);
            var items = doc.RootElement.GetProperty("items").GetArrayLength();
            Expect(items == expected, $"list with {query} returned {items} pods, not {expected}");
        }

        var summary = Percentiles.Summary(times);
        summary["items"] = expected;
        Say($"list with {query}: {expected} pods, p50 {summary["p50"]} ms");
        return summary;
    }

    private async Task WatchAsync(ApiConnection api, JsonObject result, CancellationToken ct)
    {
        // Watch from the list's resourceVersion, as an informer does after its initial list.
        string? listRv;
        using (var head = JsonDocument.Parse(await api.GetAsync("api/v1/pods?limit=1", ct)))
        {
            listRv = head.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString();
        }

        using var stopWatches = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watches = new List<(WatchStream Stream, HttpResponseMessage Response, Task Reader)>();
        try
        {
            for (var w = 0; w < scale.Watchers; w++)
            {
                // Headers arrive only after the server registered the watcher, so no update can slip past it.
                var response = await api.OpenStreamAsync($"api/v1/pods?watch=true&resourceVersion={listRv}&timeoutSeconds=3600", ct);
                var stream = new WatchStream(scale.Updates);
                watches.Add((stream, response, Task.Run(() => stream.ReadAsync(response, stopWatches.Token), CancellationToken.None)));
            }

            Say($"{scale.Watchers} watchers open from resourceVersion {listRv}");
            var updates = await LoadAsync("statusUpdate", scale.Updates,
                (i, t) => api.SendAsync(HttpMethod.Patch, _objects.PodPath(i % scale.Pods) + "/status", ClusterObjects.StatusUpdate(i), ApiConnection.MergePatch, t), ct);
            try
            {
                await Task.WhenAll(watches.Select(w => w.Stream.Complete)).WaitAsync(TimeSpan.FromSeconds(120), ct);
            }
            catch (TimeoutException)
            {
                throw new BenchmarkFailedException($"watchers did not get all {scale.Updates} events within 120 s of the last update: got {string.Join(", ", watches.Select(w => w.Stream.Count))}");
            }

            var responseAt = new Dictionary<long, long>(scale.Updates);
            for (var i = 0; i < scale.Updates; i++)
            {
                responseAt[updates.ResourceVersions[i]] = updates.CompletedAt[i];
            }

            var latencies = new List<double>(scale.Updates * scale.Watchers);
            var fromSend = new List<double>(latencies.Capacity);
            var sentAt = new Dictionary<long, long>(scale.Updates);
            for (var i = 0; i < scale.Updates; i++)
            {
                sentAt[updates.ResourceVersions[i]] = updates.SentAt[i];
            }

            var early = 0;
            foreach (var (stream, _, _) in watches)
            {
                foreach (var (rv, arrived) in stream.Arrivals)
                {
                    var responded = responseAt.TryGetValue(rv, out var t)
                        ? t
                        : throw new BenchmarkFailedException($"a watch delivered resourceVersion {rv}, which no update produced");
                    // The event can beat the patch's own response to the driver; it then counts as delivered at once.
                    early += arrived < responded ? 1 : 0;
                    latencies.Add(Math.Max(0, Stopwatch.GetElapsedTime(responded, arrived).TotalMilliseconds));
                    fromSend.Add(Stopwatch.GetElapsedTime(sentAt[rv], arrived).TotalMilliseconds);
                }
            }

            var lastArrival = watches.Max(w => w.Stream.LastArrival);
            var events = watches.Sum(w => w.Stream.Count);
            var eventsPerSec = events / Stopwatch.GetElapsedTime(updates.StartedAt, lastArrival).TotalSeconds;
            result["watchers"] = scale.Watchers;
            result["updates"] = scale.Updates;
            result["updatesPerSec"] = Math.Round(updates.PerSecond);
            result["updateLatencyMs"] = Percentiles.Summary(updates.LatenciesMs);
            result["eventsDelivered"] = events;
            result["eventsPerSec"] = Math.Round(eventsPerSec);
            result["deliveryLatencyMs"] = Percentiles.Summary(latencies);
            result["eventsBeforeResponse"] = early;
            result["deliveryLatencyFromSendMs"] = Percentiles.Summary(fromSend);
            Say($"{events} events delivered at {eventsPerSec:F0}/s; delivery latency p50 {result["deliveryLatencyMs"]!["p50"]} ms, p99 {result["deliveryLatencyMs"]!["p99"]} ms");
        }
        finally
        {
            await stopWatches.CancelAsync();
            foreach (var (_, response, reader) in watches)
            {
                response.Dispose();
                await reader;
            }
        }
    }

    /// <summary>
    /// Runs n requests with at most <see cref="ApiBenchScale.Concurrency"/> in flight, recording each one's latency,
    /// completion time and the resourceVersion it answered with. Any failed request fails the benchmark.
    /// </summary>
    private async Task<LoadResult> LoadAsync(string what, int n, Func<int, CancellationToken, Task<byte[]>> request, CancellationToken ct)
    {
        var latencies = new double[n];
        var sentAt = new long[n];
        var completedAt = new long[n];
        var rvs = new long[n];
        var errors = 0;
        string? firstError = null;
        var done = 0;
        var cpu = Sim.CpuTime();
        var start = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = scale.Concurrency, CancellationToken = ct }, async (i, t) =>
        {
            sentAt[i] = Stopwatch.GetTimestamp();
            try
            {
                var body = await request(i, t);
                completedAt[i] = Stopwatch.GetTimestamp();
                latencies[i] = Stopwatch.GetElapsedTime(sentAt[i], completedAt[i]).TotalMilliseconds;
                rvs[i] = JsonPeek.ResourceVersion(body);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException or FormatException or TaskCanceledException && !t.IsCancellationRequested)
            {
                Interlocked.Increment(ref errors);
                Interlocked.CompareExchange(ref firstError, e.Message, null);
            }

            if (Interlocked.Increment(ref done) % Math.Max(1, n / 5) == 0 && n >= 1000)
            {
                Say($"  {what}: {done}/{n}");
            }
        });
        var result = new LoadResult(n, start, Stopwatch.GetElapsedTime(start), latencies, sentAt, completedAt, rvs);
        Expect(errors == 0, $"{errors} of {n} {what} failed; the first: {firstError}");
        _serverCpuMs[what] = CpuMsPer(cpu, n);
        Say($"{what}: {n} in {result.Elapsed.TotalSeconds:F1} s, {result.PerSecond:F0}/s");
        return result;
    }

    private sealed record LoadResult(int Count, long StartedAt, TimeSpan Elapsed, double[] LatenciesMs, long[] SentAt, long[] CompletedAt, long[] ResourceVersions)
    {
        public double PerSecond => Count / Elapsed.TotalSeconds;
    }

    /// <summary>Runs a phase and records the CPU seconds the server and the driver spent in it.</summary>
    private static async Task Phase(string name, SimProcess sim, JsonObject serverCpu, JsonObject driverCpu, Func<Task> run)
    {
        var server = sim.CpuTime();
        var driver = Process.GetCurrentProcess().TotalProcessorTime;
        await run();
        serverCpu[name] = Math.Round((sim.CpuTime() - server).TotalSeconds, 1);
        driverCpu[name] = Math.Round((Process.GetCurrentProcess().TotalProcessorTime - driver).TotalSeconds, 1);
    }

    private double CpuMsPer(TimeSpan before, int operations) => Math.Round((Sim.CpuTime() - before).TotalMilliseconds / operations, 3);

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static void Expect(bool condition, string failure)
    {
        if (!condition)
        {
            throw new BenchmarkFailedException(failure);
        }
    }

    private static double MiB(long bytes) => Math.Round(bytes / 1024.0 / 1024.0, 1);

    private void Say(string message) => progress.WriteLine($"[{_clock.Elapsed:mm\\:ss}] {message}");
}
