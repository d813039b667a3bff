using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace Runai.Sim.Operators.Internal;

/// <summary>How an informer lists and watches one kind of object.</summary>
/// <param name="List">Lists all objects; answers the items and the list's resourceVersion.</param>
/// <param name="Watch">Watches from a resourceVersion (with bookmarks); the sequence ends when the server ends the watch.</param>
internal sealed record InformerSource<T>(
    string What,
    Func<CancellationToken, Task<(IReadOnlyList<T> Items, string ResourceVersion)>> List,
    Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> Watch,
    Func<T, string> Key,
    Func<T, string?> ResourceVersion);

/// <summary>
/// A list+watch cache of one kind, as client-go's informer: list, then watch from the list's resourceVersion,
/// resume a dropped watch from the last seen resourceVersion, and relist after 410 Gone. Every change pulses
/// <see cref="Changed"/>, which level-triggered controllers wait on before reconciling from the cache.
/// </summary>
internal sealed class Informer<T>(InformerSource<T> source, Signal changed, TimeProvider time, ILogger log) where T : class
{
    private readonly ConcurrentDictionary<string, T> items = new();
    private readonly TaskCompletionSource synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Signal Changed => changed;
    public Task Synced => synced.Task;
    public IReadOnlyCollection<T> Items => items.Values.ToList();
    public T? Get(string key) => items.TryGetValue(key, out var value) ? value : null;

    /// <summary>
    /// Records an object the caller just wrote (the API's answer), so the next reconcile does not act on the
    /// older copy still in the cache; ignored when the cache already holds something newer.
    /// </summary>
    public void Observe(T written)
    {
        items.AddOrUpdate(source.Key(written), written, (_, old) => IsNewer(source.ResourceVersion(written), source.ResourceVersion(old)) ? written : old);
        changed.Pulse();
    }

    public void Forget(string key)
    {
        if (items.TryRemove(key, out _)) changed.Pulse();
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = Backoff.ForApi();
        string? resourceVersion = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    var (list, rv) = await source.List(ct).ConfigureAwait(false);
                    Replace(list);
                    resourceVersion = rv;
                    synced.TrySetResult();
                    log.LogDebug("Listed {Count} {What} at resourceVersion {ResourceVersion}", list.Count, source.What, rv);
                }

                Exception? watchError = null;
                await foreach (var (type, obj) in source.Watch(resourceVersion, e => watchError ??= e, ct).ConfigureAwait(false))
                {
                    backoff.Reset();
                    resourceVersion = source.ResourceVersion(obj) ?? resourceVersion;
                    switch (type)
                    {
                        case WatchEventType.Added or WatchEventType.Modified:
                            items[source.Key(obj)] = obj;
                            changed.Pulse();
                            break;
                        case WatchEventType.Deleted:
                            items.TryRemove(source.Key(obj), out _);
                            changed.Pulse();
                            break;
                        case WatchEventType.Error:
                            watchError ??= new InvalidOperationException("watch sent an ERROR event");
                            break;
                    }
                    if (watchError is not null) break;
                }

                if (watchError is not null)
                {
                    if (IsGone(watchError))
                    {
                        log.LogInformation("Watch of {What} expired (410 Gone); relisting", source.What);
                        resourceVersion = null;
                        continue;
                    }
                    throw watchError;
                }
                log.LogDebug("Watch of {What} ended; resuming from resourceVersion {ResourceVersion}", source.What, resourceVersion);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (IsGone(e)) resourceVersion = null;
                var delay = backoff.NextDelay();
                log.LogWarning("List/watch of {What} failed ({Error}); retrying in {Delay} ms", source.What, ApiCalls.Describe(e), (int)delay.TotalMilliseconds);
                try { await Task.Delay(delay, time, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private void Replace(IReadOnlyList<T> list)
    {
        var keys = new HashSet<string>();
        foreach (var item in list)
        {
            var key = source.Key(item);
            keys.Add(key);
            items[key] = item;
        }
        foreach (var key in items.Keys)
        {
            if (!keys.Contains(key)) items.TryRemove(key, out _);
        }
        changed.Pulse();
    }

    private static bool IsGone(Exception e) => e switch
    {
        KubernetesException k => k.Status?.Code == 410,
        HttpOperationException h => h.Response.StatusCode == HttpStatusCode.Gone,
        _ => false,
    };

    /// <summary>The simulated API server's resourceVersions are one increasing counter; anything else is taken as newer.</summary>
    internal static bool IsNewer(string? candidate, string? current) =>
        !long.TryParse(candidate, out var a) || !long.TryParse(current, out var b) || a >= b;
}

/// <summary>An auto-reset wake-up: many pulses before a wait collapse into one wake.</summary>
internal sealed class Signal
{
    private readonly SemaphoreSlim semaphore = new(0, 1);

    public void Pulse()
    {
        try { semaphore.Release(); }
        catch (SemaphoreFullException) { }
    }

    /// <summary>Waits for a pulse or the timeout (infinite when null); true when pulsed.</summary>
    public async Task<bool> WaitAsync(TimeSpan? timeout, TimeProvider time, CancellationToken ct)
    {
        if (timeout is null)
        {
            await semaphore.WaitAsync(ct).ConfigureAwait(false);
            return true;
        }
        if (timeout <= TimeSpan.Zero) return semaphore.Wait(0, CancellationToken.None);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(timeout.Value, time, linked.Token);
        var wait = semaphore.WaitAsync(linked.Token);
        var first = await Task.WhenAny(delay, wait).ConfigureAwait(false);
        linked.Cancel();
        ct.ThrowIfCancellationRequested();
        if (first == wait) return true;
        try { await wait.ConfigureAwait(false); return true; }
        catch (OperationCanceledException) { return false; }
    }
}
