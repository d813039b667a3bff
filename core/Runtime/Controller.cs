using System.Collections.Concurrent;
using System.Diagnostics;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Core.Runtime.Internal;

namespace Runai.Core.Runtime;

/// <summary>How a controller runs.</summary>
public sealed record ControllerOptions
{
    /// <summary>The controller's name: the <c>controller</c> metric label and the trace name (e.g. <c>mpijob</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Reconciles run in parallel (never two for the same object).</summary>
    public int Workers { get; init; } = 2;

    public WorkQueueOptions Queue { get; init; } = WorkQueueOptions.Default;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name, nameof(Name));
        if (Workers < 1)
        {
            throw new ArgumentException($"ControllerOptions.Workers must be at least 1, not {Workers}");
        }
    }
}

/// <summary>
/// Runs an <see cref="IReconciler{T}"/>: the shared informer for <typeparamref name="T"/> (and any
/// <see cref="Watches{TOther}"/>) feed keys into a <see cref="WorkQueue"/> that <see cref="ControllerOptions.Workers"/>
/// workers drain, each reconcile getting the latest cached object. Records <see cref="ControllerMetrics"/> and an
/// Activity per reconcile.
/// </summary>
public sealed class Controller<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly InformerFactory _informers;
    private readonly IReconciler<T> _reconciler;
    private readonly ControllerOptions _options;
    private readonly ILogger _log;
    private readonly List<Func<WorkQueueFeed, IDisposable>> _sources = [];
    private readonly List<Func<CancellationToken, Task>> _syncs = [];
    private readonly ConcurrentDictionary<string, T> _tombstones = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _pendingSince = new(StringComparer.Ordinal);
    private int _started;

    public Controller(InformerFactory informers, ResourceClient<T> resource, IReconciler<T> reconciler, ControllerOptions options,
        InformerOptions<T>? informerOptions = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(reconciler);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _informers = informers;
        _reconciler = reconciler;
        _options = options;
        _log = (loggers ?? NullLoggerFactory.Instance).CreateLogger($"Runai.Core.Runtime.Controller.{options.Name}");
        Informer = informers.Get(resource, informerOptions);
        Queue = new WorkQueue(options.Queue, ControllerMetrics.QueueDepth.WithLabels(informers.Component, options.Name), TimeProvider.System);
        _syncs.Add(Informer.WaitForSyncAsync);
        _sources.Add(feed => Informer.AddHandler(e =>
        {
            if (e.Type == InformerEventType.Deleted)
            {
                _tombstones[e.Key] = e.Object;
            }

            feed.Add(e.Key, e.ReceivedAt);
        }));
    }

    /// <summary>The informer of the reconciled type, for reads and indexers.</summary>
    public SharedInformer<T> Informer { get; }

    public WorkQueue Queue { get; }

    public string Name => _options.Name;

    /// <summary>
    /// Also reconciles on changes to <typeparamref name="TOther"/> objects, at the keys <paramref name="mapToKeys"/> gives
    /// (e.g. a pod's owning workload). On an update both the old and the new object are mapped.
    /// </summary>
    public Controller<T> Watches<TOther>(ResourceClient<TOther> resource, Func<TOther, IEnumerable<string>> mapToKeys, InformerOptions<TOther>? options = null)
        where TOther : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(mapToKeys);
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException($"controller {Name} is running; add watches before RunAsync");
        }

        var informer = _informers.Get(resource, options);
        _syncs.Add(informer.WaitForSyncAsync);
        _sources.Add(feed => informer.AddHandler(e =>
        {
            foreach (var key in mapToKeys(e.Object))
            {
                feed.Add(key, e.ReceivedAt);
            }

            if (e.Previous is not null)
            {
                foreach (var key in mapToKeys(e.Previous))
                {
                    feed.Add(key, e.ReceivedAt);
                }
            }
        }));
        return this;
    }

    /// <summary>
    /// Reconciles until <paramref name="ct"/> is cancelled (the component stops leading), then waits for the reconciles
    /// in flight, which get the same token, and returns. The informers run in the <see cref="InformerFactory"/>. Runs once.
    /// </summary>
    public async Task RunAsync(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException($"controller {Name} runs once");
        }

        var feed = new WorkQueueFeed(Queue, _pendingSince);
        var registrations = _sources.Select(s => s(feed)).ToList();
        try
        {
            await Task.WhenAll(_syncs.Select(s => s(ct))).ConfigureAwait(false);
            _log.LogInformation("controller {Controller}: caches synced; starting {Workers} workers", Name, _options.Workers);
            var workers = Enumerable.Range(0, _options.Workers).Select(_ => Task.Run(() => WorkAsync(ct), CancellationToken.None)).ToList();
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped before the caches synced.
        }
        finally
        {
            foreach (var r in registrations)
            {
                r.Dispose();
            }
        }
    }

    private async Task WorkAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            string key;
            try
            {
                key = await Queue.TakeAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await ProcessAsync(key, ct).ConfigureAwait(false);
            }
            finally
            {
                Queue.Done(key);
            }
        }
    }

    private async Task ProcessAsync(string key, CancellationToken ct)
    {
        var component = _informers.Component;
        var entity = Informer.Get(key);
        T? tombstone = null;
        if (entity is null && !_tombstones.TryGetValue(key, out tombstone))
        {
            // A key mapped from another type whose object does not exist (or is not cached): nothing to do.
            _pendingSince.TryRemove(key, out _);
            Queue.Forget(key);
            return;
        }

        if (_pendingSince.TryRemove(key, out var since))
        {
            ControllerMetrics.EventToReconcile.WithLabels(component, Name).Observe(Stopwatch.GetElapsedTime(since).TotalSeconds);
        }

        var (ns, name) = ObjectKey.Split(key);
        using var activity = RunaiTelemetry.Source.StartActivity("reconcile " + Name);
        activity?.SetTag("controller", Name);
        activity?.SetTag("namespace", ns);
        activity?.SetTag("name", name);
        var started = Stopwatch.GetTimestamp();
        string outcome;
        try
        {
            if (entity is not null)
            {
                _tombstones.TryRemove(key, out _);
                var result = await _reconciler.ReconcileAsync(entity, ct).ConfigureAwait(false);
                Queue.Forget(key);
                if (result.RequeueAfter is { } after)
                {
                    Queue.AddAfter(key, after);
                    outcome = "requeue";
                }
                else
                {
                    outcome = "success";
                }
            }
            else
            {
                await _reconciler.DeletedAsync(tombstone!, ct).ConfigureAwait(false);
                // Keep a newer tombstone that arrived meanwhile (re-created and deleted again).
                _tombstones.TryRemove(new KeyValuePair<string, T>(key, tombstone!));
                Queue.Forget(key);
                outcome = "success";
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping: the next leader relists and reconciles this object again.
            activity?.SetTag("outcome", "cancelled");
            return;
        }
        catch (Exception e)
        {
            outcome = "error";
            var reason = ApiErrors.Reason(e);
            ControllerMetrics.ReconcileErrors.WithLabels(component, Name, reason).Inc();
            if (reason == ApiErrors.Forbidden && e is HttpOperationException http)
            {
                var (resource, verb) = ApiErrors.Describe(http.Request?.Method, http.Request?.RequestUri);
                ControllerMetrics.ApiForbidden.WithLabels(component, resource, verb).Inc();
            }

            var retryIn = Queue.AddRateLimited(key);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            _log.LogWarning(e, "controller {Controller}: reconcile of {Key} failed ({Reason}); retry {Attempt} in {Delay} ms",
                Name, key, reason, Queue.Failures(key), (long)retryIn.TotalMilliseconds);
        }

        ControllerMetrics.ReconcileDuration.WithLabels(component, Name).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        ControllerMetrics.Reconciles.WithLabels(component, Name, outcome).Inc();
        activity?.SetTag("outcome", outcome);
    }

    /// <summary>Puts keys into the queue, remembering when the first unreconciled event for each arrived.</summary>
    private sealed class WorkQueueFeed(WorkQueue queue, ConcurrentDictionary<string, long> pendingSince)
    {
        public void Add(string key, long receivedAt)
        {
            pendingSince.TryAdd(key, receivedAt);
            queue.Add(key);
        }
    }
}
