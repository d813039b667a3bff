using System.Collections.Concurrent;
using System.Diagnostics;
using k8s;
using k8s.Models;
using Runai.Core.Runtime;
using Runai.Runtime.Tests.Support;

namespace Runai.Runtime.Tests;

/// <summary>Controllers against the real simulated API: coalescing, retries, deletion, secondary watches, stopping.</summary>
public sealed class ControllerTests(SimApiFixture sim) : IClassFixture<SimApiFixture>
{
    /// <summary>A reconciler built from delegates, recording what it was called with.</summary>
    private sealed class RecordingReconciler(Func<V1ConfigMap, CancellationToken, Task<ReconcileResult>>? reconcile = null) : IReconciler<V1ConfigMap>
    {
        public ConcurrentQueue<(string Name, string Rv, string? Value, TimeSpan At)> Reconciled { get; } = new();

        public ConcurrentQueue<V1ConfigMap> Deleted { get; } = new();

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public async Task<ReconcileResult> ReconcileAsync(V1ConfigMap entity, CancellationToken ct)
        {
            Reconciled.Enqueue((entity.Metadata.Name, entity.Metadata.ResourceVersion, entity.Data?.Values.FirstOrDefault(), Clock.Elapsed));
            return reconcile is null ? ReconcileResult.Done : await reconcile(entity, ct);
        }

        public Task DeletedAsync(V1ConfigMap entity, CancellationToken ct)
        {
            Deleted.Enqueue(entity);
            return Task.CompletedTask;
        }
    }

    private sealed class Running(InformerFactory factory, Controller<V1ConfigMap> controller) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _leading = new();
        private Task? _all;

        public Controller<V1ConfigMap> Controller => controller;

        public Task Start()
        {
            _all = Task.WhenAll(factory.RunAsync(_leading.Token), controller.RunAsync(_leading.Token));
            return controller.Informer.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        }

        /// <summary>Cancels the leading token and returns how long everything took to stop.</summary>
        public async Task<TimeSpan> StopAsync()
        {
            var clock = Stopwatch.StartNew();
            await _leading.CancelAsync();
            await _all!.WaitAsync(TimeSpan.FromSeconds(5));
            return clock.Elapsed;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_leading.IsCancellationRequested)
            {
                await StopAsync();
            }

            _leading.Dispose();
        }
    }

    private static Running Start(IKubernetes api, string ns, IReconciler<V1ConfigMap> reconciler, ControllerOptions options,
        Action<Controller<V1ConfigMap>>? configure = null)
    {
        var factory = new InformerFactory(api, "controller-test-" + ns);
        var controller = new Controller<V1ConfigMap>(factory, ResourceClient.ConfigMaps, reconciler, options,
            InformerOptions<V1ConfigMap>.Default with { Namespace = ns });
        configure?.Invoke(controller);
        return new Running(factory, controller);
    }

    private Task<V1ConfigMap> CreateAsync(string ns, string name, string value = "0") =>
        sim.Admin.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["v"] = value } }, ns);

    private Task<V1ConfigMap> PatchAsync(string ns, string name, string value) =>
        sim.Admin.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("{\"data\":{\"v\":\"" + value + "\"}}", V1Patch.PatchType.MergePatch), name, ns);

    [Fact]
    public async Task ABurstOfUpdatesToOneObjectCoalescesIntoFewReconcilesEndingOnTheFinalState()
    {
        const int Updates = 10_000;
        var ns = await sim.NewNamespaceAsync();
        await CreateAsync(ns, "hot");
        // A reconcile that takes a little while, as a real one does; events pile up behind it.
        var reconciler = new RecordingReconciler(async (_, ct) =>
        {
            await Task.Delay(20, ct);
            return ReconcileResult.Done;
        });
        await using var running = Start(sim.Admin, ns, reconciler, new ControllerOptions { Name = "burst", Workers = 4 });
        await running.Start();

        var next = 0;
        var writers = Enumerable.Range(0, 8).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) <= Updates)
            {
                // The simulated server answers racing patches with 409 where a real one retries inside; retry here.
                while (true)
                {
                    try
                    {
                        await PatchAsync(ns, "hot", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        break;
                    }
                    catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
                    {
                    }
                }
            }
        });
        await Task.WhenAll(writers);
        var final = await sim.Admin.CoreV1.ReadNamespacedConfigMapAsync("hot", ns);

        await Wait.UntilAsync(() => reconciler.Reconciled.LastOrDefault().Rv == final.Metadata.ResourceVersion, "a reconcile of the final state");
        var calls = reconciler.Reconciled.ToList();
        Assert.Equal(final.Data["v"], calls[^1].Value);
        Assert.True(calls.Count < Updates / 10, $"{calls.Count} reconciles for {Updates} updates");
        // Never two at once for one key: each reconcile saw a newer version than the one before.
        Assert.All(calls.Zip(calls.Skip(1)), p => Assert.True(long.Parse(p.Second.Rv) > long.Parse(p.First.Rv)));
    }

    [Fact]
    public async Task AFailingReconcileIsRetriedWithGrowingDelays()
    {
        var ns = await sim.NewNamespaceAsync();
        var failuresLeft = 5;
        var reconciler = new RecordingReconciler((_, _) => Interlocked.Decrement(ref failuresLeft) >= 0
            ? throw new InvalidOperationException("not yet")
            : Task.FromResult(ReconcileResult.Done));
        var options = new ControllerOptions
        {
            Name = "retry",
            Queue = new WorkQueueOptions { BaseRetryDelay = TimeSpan.FromMilliseconds(20) },
        };
        await using var running = Start(sim.Admin, ns, reconciler, options);
        var errorsBefore = ControllerMetrics.ReconcileErrors.WithLabels("controller-test-" + ns, "retry", "exception").Value;
        await running.Start();
        await CreateAsync(ns, "flaky");

        await Wait.UntilAsync(() => reconciler.Reconciled.Count >= 6, "five failures and a success");
        var at = reconciler.Reconciled.Select(r => r.At).ToList();
        var gaps = at.Zip(at.Skip(1), (a, b) => (b - a).TotalMilliseconds).ToList();
        double[] expected = [20, 40, 80, 160, 320];
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(gaps[i] >= expected[i] * 0.9, $"retry {i + 1} came after {gaps[i]:0} ms, before its {expected[i]} ms back-off ({string.Join(", ", gaps.Select(g => g.ToString("0")))})");
        }

        Assert.True(gaps[4] > gaps[0] * 4, $"the delays did not grow: {string.Join(", ", gaps.Select(g => g.ToString("0")))}");
        Assert.Equal(5, ControllerMetrics.ReconcileErrors.WithLabels("controller-test-" + ns, "retry", "exception").Value - errorsBefore);
        Assert.Equal(0, running.Controller.Queue.Failures($"{ns}/flaky"));
    }

    [Fact]
    public async Task AForbiddenApiCallIsCountedByResourceAndVerb()
    {
        var ns = await sim.NewNamespaceAsync();
        using var powerless = sim.ClientWithoutRights();
        var reconciler = new RecordingReconciler(async (_, ct) =>
        {
            await powerless.CoreV1.ListNamespacedSecretAsync(ns, cancellationToken: ct);
            return ReconcileResult.Done;
        });
        await using var running = Start(sim.Admin, ns, reconciler, new ControllerOptions { Name = "rbac" });
        var component = "controller-test-" + ns;
        await running.Start();
        await CreateAsync(ns, "needs-secrets");

        await Wait.UntilAsync(() => ControllerMetrics.ApiForbidden.WithLabels(component, "secrets", "list").Value >= 1, "a counted 403");
        Assert.True(ControllerMetrics.ReconcileErrors.WithLabels(component, "rbac", "forbidden").Value >= 1);
    }

    [Fact]
    public async Task DeletedIsCalledWithTheLastKnownStateAndRequeueAfterComesBack()
    {
        var ns = await sim.NewNamespaceAsync();
        var reconciler = new RecordingReconciler((c, _) =>
            Task.FromResult(c.Metadata.Name == "again" ? ReconcileResult.Requeue(TimeSpan.FromMilliseconds(100)) : ReconcileResult.Done));
        await using var running = Start(sim.Admin, ns, reconciler, new ControllerOptions { Name = "lifecycle" });
        await running.Start();
        await CreateAsync(ns, "doomed", "first");
        await PatchAsync(ns, "doomed", "last");
        await CreateAsync(ns, "again");

        await Wait.UntilAsync(() => reconciler.Reconciled.Any(r => r.Value == "last"), "the update");
        await sim.Admin.CoreV1.DeleteNamespacedConfigMapAsync("doomed", ns);
        await Wait.UntilAsync(() => !reconciler.Deleted.IsEmpty, "DeletedAsync");
        Assert.Equal("last", Assert.Single(reconciler.Deleted).Data["v"]);
        await Wait.UntilAsync(() => reconciler.Reconciled.Count(r => r.Name == "again") >= 3, "requeued reconciles");
    }

    [Fact]
    public async Task ASecondaryWatchReconcilesTheKeysItMapsTo()
    {
        var ns = await sim.NewNamespaceAsync();
        var reconciler = new RecordingReconciler();
        await using var running = Start(sim.Admin, ns, reconciler, new ControllerOptions { Name = "owner" },
            c => c.Watches(ResourceClient.Secrets, s => s.Metadata.Labels?.TryGetValue("config", out var owner) == true
                ? [ObjectKey.Of(s.Metadata.NamespaceProperty, owner)]
                : [],
                InformerOptions<V1Secret>.Default with { Namespace = ns }));
        await running.Start();
        await CreateAsync(ns, "owner-cm");
        await Wait.UntilAsync(() => reconciler.Reconciled.Count == 1, "the first reconcile");

        await sim.Admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "s", Labels = new Dictionary<string, string> { ["config"] = "owner-cm" } },
        }, ns);

        await Wait.UntilAsync(() => reconciler.Reconciled.Count == 2, "a reconcile caused by the secret");
        Assert.All(reconciler.Reconciled, r => Assert.Equal("owner-cm", r.Name));
    }

    [Fact]
    public async Task CancellingTheLeadingTokenStopsReconcilesPromptly()
    {
        var ns = await sim.NewNamespaceAsync();
        var inFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconciler = new RecordingReconciler(async (_, ct) =>
        {
            inFlight.TrySetResult();
            // A long reconcile: it must end because the token is cancelled, not because it finished.
            await Task.Delay(TimeSpan.FromMinutes(5), ct);
            return ReconcileResult.Done;
        });
        var running = Start(sim.Admin, ns, reconciler, new ControllerOptions { Name = "stop", Workers = 2 });
        await running.Start();
        for (var i = 0; i < 20; i++)
        {
            await CreateAsync(ns, $"cm-{i}");
        }

        await inFlight.Task.WaitAsync(TimeSpan.FromSeconds(5));
        var stoppedIn = await running.StopAsync();
        var reconcilesAtStop = reconciler.Reconciled.Count;
        for (var i = 0; i < 5; i++)
        {
            await PatchAsync(ns, $"cm-{i}", "after");
        }

        await Task.Delay(300);
        Assert.True(stoppedIn < TimeSpan.FromSeconds(1), $"stopping took {stoppedIn.TotalMilliseconds:0} ms");
        Assert.Equal(reconcilesAtStop, reconciler.Reconciled.Count);
        Assert.True(reconcilesAtStop <= 2, $"{reconcilesAtStop} reconciles started with two workers each blocked");
        await running.DisposeAsync();
    }
}
