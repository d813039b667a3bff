using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Runai.Core.Runtime;

namespace Runai.Bench.Runtime;

/// <summary>
/// Reconcile throughput and event-to-reconcile latency: a controller (core/Runtime, 4 workers, a no-op reconciler) on
/// ConfigMaps while the driver creates N of them and then updates each once, 16 writes in flight, against the simulated
/// API server run as its own process. Latency runs from a write's response to the start of the first reconcile that
/// saw that write (0 when the reconcile started before the response arrived).
/// </summary>
internal sealed class RuntimeBenchmark(int objects, bool quick, string simDll, TextWriter progress)
{
    private const int Concurrency = 16;
    private const int Workers = 4;
    private const string Namespace = "bench-runtime";
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public async Task<JsonObject> RunAsync(CancellationToken ct)
    {
        var loadAtStart = LoadAverage();
        Say($"starting the simulated cluster ({simDll})");
        await using var sim = await SimProcess.StartAsync(simDll, ct);
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(sim.KubeconfigPath);
        using var writer = new Kubernetes(config);
        using var controllerApi = new Kubernetes(config);
        await writer.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: ct);

        var reconciler = new Recorder();
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var factory = new InformerFactory(controllerApi, "bench");
        var controller = new Controller<V1ConfigMap>(factory, ResourceClient.ConfigMaps, reconciler,
            new ControllerOptions { Name = "configmaps", Workers = Workers },
            InformerOptions<V1ConfigMap>.Default with { Namespace = Namespace });
        var running = Task.WhenAll(factory.RunAsync(leading.Token), controller.RunAsync(leading.Token));
        await controller.Informer.WaitForSyncAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);

        var result = new JsonObject
        {
            ["benchmark"] = "runtime",
            ["quick"] = quick,
            ["objects"] = objects,
            ["workers"] = Workers,
            ["writesInFlight"] = Concurrency,
        };

        Say($"creating {objects} ConfigMaps");
        result["create"] = await PhaseAsync("create", reconciler, i => writer.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = Name(i) }, Data = new Dictionary<string, string> { ["v"] = "0" } },
            Namespace, cancellationToken: ct), ct);

        Say($"updating each of the {objects} ConfigMaps once");
        result["update"] = await PhaseAsync("update", reconciler, i => writer.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("{\"data\":{\"v\":\"1\"}}", V1Patch.PatchType.MergePatch), Name(i), Namespace, cancellationToken: ct), ct);
        result["reconcilesTotal"] = reconciler.Total;

        Say("cold start: a second informer lists and caches them all");
        var cold = Stopwatch.StartNew();
        using (var coldStop = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var second = new InformerFactory(controllerApi, "bench-cold");
            var informer = second.Get(ResourceClient.ConfigMaps, InformerOptions<V1ConfigMap>.Default with { Namespace = Namespace });
            var run = second.RunAsync(coldStop.Token);
            await informer.WaitForSyncAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
            result["coldSyncMs"] = Math.Round(cold.Elapsed.TotalMilliseconds, 1);
            Check(informer.Count >= objects, $"the cold informer cached {informer.Count} of {objects} objects");
            await coldStop.CancelAsync();
            await run;
        }

        var stopClock = Stopwatch.StartNew();
        await leading.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        result["stopMs"] = Math.Round(stopClock.Elapsed.TotalMilliseconds, 1);
        GC.Collect();
        result["driverRssMiB"] = Math.Round(Environment.WorkingSet / 1024.0 / 1024.0, 1);
        result["watchRestarts"] = ControllerMetrics.WatchRestarts.WithLabels("bench", "configmaps", "error").Value
            + ControllerMetrics.WatchRestarts.WithLabels("bench", "configmaps", "expired").Value;
        var machine = BenchHost.Machine();
        machine["loadAverage"] = new JsonObject { ["start"] = loadAtStart, ["end"] = LoadAverage() };
        result["machine"] = machine;
        result["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        return result;
    }

    private async Task<JsonObject> PhaseAsync(string phase, Recorder reconciler, Func<int, Task<V1ConfigMap>> write, CancellationToken ct)
    {
        var responded = new long[objects];
        var writeRvs = new long[objects];
        reconciler.Expect(objects);
        var reconcilesBefore = reconciler.Total;
        var started = Stopwatch.GetTimestamp();
        var next = -1;
        var writers = Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < objects)
            {
                V1ConfigMap written;
                try
                {
                    written = await write(i);
                }
                catch (HttpOperationException e)
                {
                    throw new BenchmarkFailedException($"{phase} of {Name(i)}: {(int)e.Response.StatusCode} {e.Response.Content}");
                }

                responded[i] = Stopwatch.GetTimestamp();
                var rv = long.Parse(written.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
                writeRvs[i] = rv;
                reconciler.Await(i, rv);
            }
        });
        await Task.WhenAll(writers);
        var writesDone = Stopwatch.GetTimestamp();
        await reconciler.AllSeen.WaitAsync(TimeSpan.FromSeconds(120), ct)
            .ContinueWith(t => Check(t.IsCompletedSuccessfully, $"{phase}: only {reconciler.SeenCount} of {objects} writes were reconciled within 120 s"), ct);
        var lastReconcile = reconciler.LastSeenAt;
        var latencies = Enumerable.Range(0, objects)
            .Select(i => Math.Max(0, Stopwatch.GetElapsedTime(responded[i], reconciler.SeenAt(i)).TotalMilliseconds)).ToList();
        var early = Enumerable.Range(0, objects).Count(i => reconciler.SeenAt(i) < responded[i]);
        var seconds = Stopwatch.GetElapsedTime(started, lastReconcile).TotalSeconds;
        var reconciles = reconciler.Total - reconcilesBefore;
        Say($"{phase}: {objects / Stopwatch.GetElapsedTime(started, writesDone).TotalSeconds:0} writes/s, {reconciles} reconciles, " +
            $"all reconciled {seconds:0.00} s after the first write");
        return new JsonObject
        {
            ["writesPerSec"] = Math.Round(objects / Stopwatch.GetElapsedTime(started, writesDone).TotalSeconds),
            ["reconciles"] = reconciles,
            ["reconcilesPerSec"] = Math.Round(reconciles / seconds),
            ["lastReconcileAfterLastWriteMs"] = Math.Round(Stopwatch.GetElapsedTime(writesDone, lastReconcile).TotalMilliseconds, 1),
            ["latencyMs"] = Percentiles.Summary(latencies),
            ["reconcileBeforeResponse"] = early,
        };
    }

    private static string Name(int i) => "cm-" + i.ToString("D5", CultureInfo.InvariantCulture);

    private static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new BenchmarkFailedException(failure);
        }
    }

    /// <summary>
    /// A no-op reconciler that notes, per object, when the first reconcile that saw the awaited write started. Writes and
    /// reconciles race (an event can beat the write's response), so a match is made from whichever side comes second.
    /// </summary>
    private sealed class Recorder : IReconciler<V1ConfigMap>
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<int, List<(long Rv, long At)>> _early = [];
        private long[] _awaitedRv = [];
        private long[] _seenAt = [];
        private int _seen;
        private long _total;
        private long _lastSeenAt;
        private TaskCompletionSource _allSeen = new();

        public long Total => Interlocked.Read(ref _total);

        public int SeenCount
        {
            get
            {
                lock (_gate)
                {
                    return _seen;
                }
            }
        }

        public long LastSeenAt
        {
            get
            {
                lock (_gate)
                {
                    return _lastSeenAt;
                }
            }
        }

        public Task AllSeen => _allSeen.Task;

        public long SeenAt(int i) => _seenAt[i];

        public void Expect(int count)
        {
            lock (_gate)
            {
                _awaitedRv = new long[count];
                _seenAt = new long[count];
                _seen = 0;
                _lastSeenAt = 0;
                _early.Clear();
                _allSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        /// <summary>The driver's write of object <paramref name="i"/> returned <paramref name="rv"/>.</summary>
        public void Await(int i, long rv)
        {
            lock (_gate)
            {
                _awaitedRv[i] = rv;
                if (_early.Remove(i, out var before) && before.FirstOrDefault(r => r.Rv >= rv) is { At: > 0 } hit)
                {
                    SeenLocked(i, hit.At);
                }
            }
        }

        public Task<ReconcileResult> ReconcileAsync(V1ConfigMap entity, CancellationToken ct)
        {
            var now = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref _total);
            var i = int.Parse(entity.Metadata.Name.AsSpan(3), CultureInfo.InvariantCulture);
            var rv = long.Parse(entity.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
            lock (_gate)
            {
                if (i >= _seenAt.Length || _seenAt[i] != 0)
                {
                    return Task.FromResult(ReconcileResult.Done);
                }

                if (_awaitedRv[i] == 0)
                {
                    if (!_early.TryGetValue(i, out var list))
                    {
                        _early[i] = list = [];
                    }

                    list.Add((rv, now));
                }
                else if (rv >= _awaitedRv[i])
                {
                    SeenLocked(i, now);
                }
            }

            return Task.FromResult(ReconcileResult.Done);
        }

        private void SeenLocked(int i, long at)
        {
            _seenAt[i] = at;
            _lastSeenAt = Math.Max(_lastSeenAt, at);
            if (++_seen == _seenAt.Length)
            {
                _allSeen.TrySetResult();
            }
        }

        public Task DeletedAsync(V1ConfigMap entity, CancellationToken ct) => Task.CompletedTask;
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private void Say(string message) => progress.WriteLine($"[{_clock.Elapsed:mm\\:ss}] runtime: {message}");
}
