using System.Diagnostics;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Runai.Core.Runtime.Internal;

namespace Runai.Core.Runtime;

/// <summary>
/// One cached, watched view of a resource type shared by every controller in the process (get it from
/// <see cref="InformerFactory"/>). Lists, then watches from the list's resourceVersion with bookmarks; resumes after a
/// dropped or ended watch with jittered back-off; relists on 410 Gone and tells handlers only what changed, so a handler
/// sees each object's latest state once per change it has not seen.
/// </summary>
public sealed class SharedInformer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly IKubernetes _api;
    private readonly ResourceClient<T> _resource;
    private readonly InformerOptions<T> _options;
    private readonly string _component;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly IndexedStore<T> _store = new();
    private readonly List<Action<InformerEvent<T>>> _handlers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Backoff _backoff;
    private int _started;

    internal SharedInformer(IKubernetes api, ResourceClient<T> resource, InformerOptions<T> options, string component, ILogger log)
    {
        options.Validate();
        _api = api;
        _resource = resource;
        _options = options;
        _component = component;
        _log = log;
        _backoff = new Backoff(options.InitialBackoff, options.MaxBackoff);
    }

    public string Resource => _resource.Resource;

    /// <summary>The namespace watched, or null for all.</summary>
    public string? Namespace => _options.Namespace;

    /// <summary>True once the first full list is in the cache.</summary>
    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>The resourceVersion the cache is at (the last event, bookmark or list seen).</summary>
    public string? ResourceVersion { get; private set; }

    public Task WaitForSyncAsync(CancellationToken ct) => _synced.Task.WaitAsync(ct);

    /// <summary>
    /// Registers a handler; it first receives Added for everything already cached, then every change. Handlers run on the
    /// informer's loop under its lock: keep them short (enqueue a key) and do not block.
    /// </summary>
    public IDisposable AddHandler(Action<InformerEvent<T>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var key in _store.Keys.ToList())
            {
                Invoke(handler, new InformerEvent<T>(InformerEventType.Added, key, _store.Get(key)!, null, now));
            }

            _handlers.Add(handler);
        }

        return new Registration(this, handler);
    }

    /// <summary>Adds a secondary index: <paramref name="indexer"/> gives the values an object is filed under.</summary>
    public void AddIndexer(string name, Func<T, IEnumerable<string>> indexer)
    {
        lock (_gate)
        {
            _store.AddIndexer(name, indexer);
        }
    }

    public T? Get(string key)
    {
        lock (_gate)
        {
            return _store.Get(key);
        }
    }

    public T? Get(string? ns, string name) => Get(ObjectKey.Of(ns, name));

    public IReadOnlyList<T> List()
    {
        lock (_gate)
        {
            return _store.Values.ToList();
        }
    }

    public IReadOnlyList<T> ByIndex(string indexName, string value)
    {
        lock (_gate)
        {
            return _store.ByIndex(indexName, value);
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _store.Count;
            }
        }
    }

    /// <summary>Lists and watches until <paramref name="ct"/> is cancelled. Runs once per informer.</summary>
    internal async Task RunAsync(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException($"the {Resource} informer is already running");
        }

        var failures = 0;
        var relist = true;
        while (!ct.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                if (relist)
                {
                    await ListAndResyncAsync(ct).ConfigureAwait(false);
                    relist = false;
                }

                var outcome = await WatchOnceAsync(ct).ConfigureAwait(false);
                if (outcome.Gone)
                {
                    Restart("expired", null, "its resourceVersion {ResourceVersion} is no longer in the server's history; relisting");
                    relist = true;
                    failures = 0;
                    continue;
                }

                if (outcome.Error is not null)
                {
                    throw outcome.Error;
                }

                // A watch that ran its course resumes at once; one that closed straight away without news backs off,
                // so a server that keeps hanging up is not hammered.
                if (outcome.Events > 0 || outcome.Lasted >= TimeSpan.FromSeconds(1))
                {
                    failures = 0;
                    ControllerMetrics.WatchRestarts.WithLabels(_component, Resource, "closed").Inc();
                    continue;
                }

                wait = _backoff.Delay(failures++);
                Restart("closed", null, "the watch closed at once at {ResourceVersion}; resuming after " + wait.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " ms");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.Gone)
            {
                // A continue token or resourceVersion the server no longer has: start over with a fresh list.
                Restart("expired", e, "a list page at {ResourceVersion} has expired; relisting");
                relist = true;
                continue;
            }
            catch (Exception e)
            {
                if (e is HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.Forbidden })
                {
                    ControllerMetrics.ApiForbidden.WithLabels(_component, Resource, relist ? "list" : "watch").Inc();
                }

                wait = _backoff.Delay(failures++);
                Restart("error", e, "list/watch failed at {ResourceVersion}; retrying after " + wait.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " ms");
            }

            try
            {
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void Restart(string reason, Exception? error, string message)
    {
        ControllerMetrics.WatchRestarts.WithLabels(_component, Resource, reason).Inc();
        if (error is null)
        {
            _log.LogInformation("{Resource} informer: " + message, Resource, ResourceVersion);
        }
        else
        {
            _log.LogWarning("{Resource} informer: " + message + ": {Error}", Resource, ResourceVersion, error.Message);
        }
    }

    private async Task ListAndResyncAsync(CancellationToken ct)
    {
        var listed = new List<(string Key, T Value)>();
        string? cont = null;
        string? rv = null;
        do
        {
            var (items, meta) = await _resource.ListAsync(_api,
                new ListRequest(_options.Namespace, null, false, null, _options.PageSize, cont), ct).ConfigureAwait(false);
            foreach (var item in items)
            {
                var kept = _options.Transform(item);
                listed.Add((ObjectKey.Of(kept), kept));
            }

            cont = string.IsNullOrEmpty(meta?.ContinueProperty) ? null : meta.ContinueProperty;
            rv = meta?.ResourceVersion ?? rv;
        }
        while (cont is not null);

        var received = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            var cached = _store.Keys.ToDictionary(k => k, k => _store.Get(k)!, StringComparer.Ordinal);
            foreach (var change in Resync.Diff(cached, listed, o => o.Metadata?.ResourceVersion))
            {
                if (change.Type == InformerEventType.Deleted)
                {
                    _store.Remove(change.Key);
                }
                else
                {
                    _store.Put(change.Key, change.Object);
                }

                Dispatch(new InformerEvent<T>(change.Type, change.Key, change.Object, change.Previous, received));
            }

            ResourceVersion = rv;
            ControllerMetrics.CachedObjects.WithLabels(_component, Resource).Set(_store.Count);
        }

        _log.LogDebug("{Resource} informer: listed {Count} objects at {ResourceVersion}", Resource, listed.Count, rv);
        _synced.TrySetResult();
    }

    private async Task<WatchOutcome> WatchOnceAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var gone = false;
        Exception? error = null;
        var events = 0;
        var timeout = (int)_options.WatchTimeout.TotalSeconds;
        // Jitter the timeout so the informers of many replicas do not all re-watch in the same second.
        timeout = Math.Max(1, timeout - Random.Shared.Next(0, Math.Max(1, timeout / 10)));
        var request = new ListRequest(_options.Namespace, ResourceVersion, true, timeout, null, null);
        try
        {
            await foreach (var (type, obj) in _resource.WatchAsync(_api, request, e =>
            {
                if (e is KubernetesException { Status.Code: 410 })
                {
                    gone = true;
                }
                else
                {
                    error = e;
                }
            }, ct).ConfigureAwait(false))
            {
                events++;
                Apply(type, obj);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            error = e;
        }

        return new WatchOutcome(gone, error, events, Stopwatch.GetElapsedTime(started));
    }

    private void Apply(WatchEventType type, T obj)
    {
        var received = Stopwatch.GetTimestamp();
        var rv = obj.Metadata?.ResourceVersion;
        if (type == WatchEventType.Bookmark)
        {
            ResourceVersion = rv ?? ResourceVersion;
            return;
        }

        var kept = _options.Transform(obj);
        var key = ObjectKey.Of(kept);
        lock (_gate)
        {
            var old = _store.Get(key);
            switch (type)
            {
                case WatchEventType.Added or WatchEventType.Modified:
                    // After a resume the server may repeat what the cache holds; a handler sees each version once.
                    if (old is not null && string.Equals(old.Metadata?.ResourceVersion, rv, StringComparison.Ordinal))
                    {
                        break;
                    }

                    _store.Put(key, kept);
                    Dispatch(new InformerEvent<T>(old is null ? InformerEventType.Added : InformerEventType.Updated, key, kept, old, received));
                    break;
                case WatchEventType.Deleted:
                    if (old is not null)
                    {
                        _store.Remove(key);
                        // The server's final state (with deletionTimestamp) is newer than the cached one.
                        Dispatch(new InformerEvent<T>(InformerEventType.Deleted, key, kept, old, received));
                    }

                    break;
            }

            ResourceVersion = rv ?? ResourceVersion;
            ControllerMetrics.CachedObjects.WithLabels(_component, Resource).Set(_store.Count);
        }
    }

    private void Dispatch(InformerEvent<T> e)
    {
        foreach (var handler in _handlers)
        {
            Invoke(handler, e);
        }
    }

    private void Invoke(Action<InformerEvent<T>> handler, InformerEvent<T> e)
    {
        try
        {
            handler(e);
        }
        catch (Exception ex)
        {
            // One faulty handler must not starve the others or stop the watch.
            _log.LogError(ex, "{Resource} informer: a handler failed on {Type} {Key}", Resource, e.Type, e.Key);
        }
    }

    private sealed class Registration(SharedInformer<T> informer, Action<InformerEvent<T>> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (informer._gate)
            {
                informer._handlers.Remove(handler);
            }
        }
    }

    private readonly record struct WatchOutcome(bool Gone, Exception? Error, int Events, TimeSpan Lasted);
}
