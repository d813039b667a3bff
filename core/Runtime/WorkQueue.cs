using Prometheus;
using Runai.Core.Runtime.Internal;

namespace Runai.Core.Runtime;

/// <summary>Retry and rate limits of a <see cref="WorkQueue"/>.</summary>
public sealed record WorkQueueOptions
{
    public static WorkQueueOptions Default { get; } = new();

    /// <summary>A key's first retry waits this long; each further failure doubles it, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan BaseRetryDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(1000);

    /// <summary>Retries of all keys together are held to this many per second …</summary>
    public double RetriesPerSecond { get; init; } = 10;

    /// <summary>… after a burst of this many.</summary>
    public int RetryBurst { get; init; } = 100;

    internal void Validate()
    {
        if (BaseRetryDelay <= TimeSpan.Zero || MaxRetryDelay < BaseRetryDelay)
        {
            throw new ArgumentException($"WorkQueueOptions must satisfy 0 < BaseRetryDelay ({BaseRetryDelay}) <= MaxRetryDelay ({MaxRetryDelay})");
        }

        if (RetriesPerSecond <= 0 || RetryBurst <= 0)
        {
            throw new ArgumentException($"WorkQueueOptions.RetriesPerSecond ({RetriesPerSecond}) and RetryBurst ({RetryBurst}) must be positive");
        }
    }
}

/// <summary>
/// Keys waiting to be reconciled. A key added many times while it waits is taken once; a key being processed is not
/// handed out again until <see cref="Done"/>, and if it was added meanwhile it is queued again then. Failed keys come
/// back after a per-key doubling delay (reset by <see cref="Forget"/>) that an overall token bucket also limits.
/// </summary>
public sealed class WorkQueue
{
    private readonly Lock _gate = new();
    private readonly Queue<string> _ready = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _processing = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, long> _delayed = new();
    private readonly Dictionary<string, long> _dueAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly WorkQueueOptions _options;
    private readonly TokenBucket _bucket;
    private readonly TimeProvider _time;
    private readonly Gauge.Child? _depth;
    private TaskCompletionSource _signal = NewSignal();

    public WorkQueue(WorkQueueOptions? options = null, string? component = null, string? controller = null)
        : this(options ?? WorkQueueOptions.Default, component is null || controller is null ? null : ControllerMetrics.QueueDepth.WithLabels(component, controller), TimeProvider.System)
    {
    }

    internal WorkQueue(WorkQueueOptions options, Gauge.Child? depth, TimeProvider time)
    {
        options.Validate();
        _options = options;
        _depth = depth;
        _time = time;
        _bucket = new TokenBucket(options.RetriesPerSecond, options.RetryBurst, Now());
    }

    /// <summary>Keys ready or waiting for their time.</summary>
    public int Depth
    {
        get
        {
            lock (_gate)
            {
                return DepthLocked();
            }
        }
    }

    public void Add(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        lock (_gate)
        {
            AddLocked(key);
            Changed();
        }
    }

    /// <summary>Adds <paramref name="key"/> once <paramref name="delay"/> has passed (at once if it is not positive).</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        lock (_gate)
        {
            if (delay <= TimeSpan.Zero)
            {
                AddLocked(key);
            }
            else
            {
                var due = Now() + delay.Ticks;
                // A key already waiting keeps the earlier of its two times.
                if (!_dueAt.TryGetValue(key, out var existing) || due < existing)
                {
                    _dueAt[key] = due;
                    _delayed.Enqueue(key, due);
                }
            }

            Changed();
        }
    }

    /// <summary>Adds a key whose processing failed, after its back-off; returns that delay.</summary>
    public TimeSpan AddRateLimited(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        TimeSpan delay;
        lock (_gate)
        {
            var failures = _failures.GetValueOrDefault(key);
            _failures[key] = failures + 1;
            var perKey = Backoff.Ceiling(_options.BaseRetryDelay, _options.MaxRetryDelay, failures);
            var overall = _bucket.Reserve(Now());
            delay = perKey > overall ? perKey : overall;
        }

        AddAfter(key, delay);
        return delay;
    }

    /// <summary>Clears a key's failure count (after it succeeded).</summary>
    public void Forget(string key)
    {
        lock (_gate)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>Times the key has failed since it last succeeded.</summary>
    public int Failures(string key)
    {
        lock (_gate)
        {
            return _failures.GetValueOrDefault(key);
        }
    }

    /// <summary>Waits for a key to process; the caller must call <see cref="Done"/> with it afterwards.</summary>
    public async Task<string> TakeAsync(CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            Task signal;
            TimeSpan wait;
            lock (_gate)
            {
                PromoteDueLocked();
                if (_ready.TryDequeue(out var key))
                {
                    _dirty.Remove(key);
                    _processing.Add(key);
                    _depth?.Set(DepthLocked());
                    return key;
                }

                signal = _signal.Task;
                wait = NextDueLocked() is { } due ? TimeSpan.FromTicks(Math.Max(0, due - Now())) : Timeout.InfiniteTimeSpan;
            }

            if (wait == TimeSpan.Zero)
            {
                continue;
            }

            using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var delay = Task.Delay(wait, _time, timer.Token);
            await Task.WhenAny(signal, delay).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Ends processing of <paramref name="key"/>; if it was added meanwhile, it is queued again now.</summary>
    public void Done(string key)
    {
        lock (_gate)
        {
            if (_processing.Remove(key) && _dirty.Contains(key))
            {
                _ready.Enqueue(key);
                Changed();
            }
        }
    }

    private void AddLocked(string key)
    {
        if (!_dirty.Add(key))
        {
            return;
        }

        if (!_processing.Contains(key))
        {
            _ready.Enqueue(key);
        }
    }

    private void PromoteDueLocked()
    {
        var now = Now();
        while (_delayed.TryPeek(out var key, out var due) && due <= now)
        {
            _delayed.Dequeue();
            // Skip stale heap entries superseded by an earlier time for the same key.
            if (_dueAt.TryGetValue(key, out var current) && current == due)
            {
                _dueAt.Remove(key);
                AddLocked(key);
            }
        }
    }

    private long? NextDueLocked()
    {
        while (_delayed.TryPeek(out var key, out var due))
        {
            if (_dueAt.TryGetValue(key, out var current) && current == due)
            {
                return due;
            }

            _delayed.Dequeue();
        }

        return null;
    }

    // A key both waiting for its time and already queued counts twice; rare, and O(1) matters more here.
    private int DepthLocked() => _dirty.Count + _dueAt.Count;

    private void Changed()
    {
        _depth?.Set(DepthLocked());
        var old = _signal;
        _signal = NewSignal();
        old.TrySetResult();
    }

    private long Now() => _time.GetUtcNow().UtcTicks;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
