using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Runai.Sim.Api.Storage;

/// <summary>
/// The simulated cluster's etcd: objects per resource, one global increasing resourceVersion, and a bounded
/// history of changes per resource from which watches resume (older than the history → 410 Gone, as after compaction).
/// Writes are serialized by one lock; reads copy references under it and do the expensive work outside.
/// </summary>
internal sealed class ObjectStore(int historyPerResource = 20_000, int watcherBuffer = 50_000)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ResourceTable> _tables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredObject> _byUid = new(StringComparer.Ordinal);
    // owner uid → the uids of objects whose ownerReferences name it, so garbage collection never scans the store.
    private readonly Dictionary<string, HashSet<string>> _dependentsByOwner = new(StringComparer.Ordinal);
    private long _revision = 1;

    public long CurrentRevision
    {
        get
        {
            lock (_gate)
            {
                return _revision;
            }
        }
    }

    public StoredObject? Get(string resource, string ns, string name)
    {
        lock (_gate)
        {
            return Table(resource).Objects.GetValueOrDefault(StoredObject.StoreKey(ns, name));
        }
    }

    /// <summary>Objects of a resource (in one namespace, or all when <paramref name="ns"/> is null), sorted by key, with the revision they were read at.</summary>
    public (IReadOnlyList<StoredObject> Items, long Revision) List(string resource, string? ns)
    {
        StoredObject[] sorted;
        long rev;
        lock (_gate)
        {
            var t = Table(resource);
            rev = _revision;
            if (t.Sorted is { } cached)
            {
                sorted = cached;
            }
            else
            {
                // Sorting happens once per change burst, not once per list or page.
                sorted = [.. t.Objects.Values];
                Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                t.Sorted = sorted;
            }
        }

        if (ns is null)
        {
            return (sorted, rev);
        }

        // Keys are "namespace/name": one namespace is a contiguous run.
        var prefix = ns + "/";
        var start = LowerBound(sorted, prefix);
        var end = start;
        while (end < sorted.Length && sorted[end].Key.StartsWith(prefix, StringComparison.Ordinal))
        {
            end++;
        }

        return (new ArraySegment<StoredObject>(sorted, start, end - start), rev);
    }

    /// <summary>The index of the first object whose key is not below <paramref name="key"/> (binary search).</summary>
    public static int LowerBound(IReadOnlyList<StoredObject> sorted, string key)
    {
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (string.CompareOrdinal(sorted[mid].Key, key) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Every stored object whose owner references name <paramref name="ownerUid"/>, across resources.</summary>
    public IReadOnlyList<StoredObject> Dependents(string ownerUid)
    {
        lock (_gate)
        {
            return _dependentsByOwner.TryGetValue(ownerUid, out var uids)
                ? [.. uids.Select(u => _byUid[u])]
                : [];
        }
    }

    public StoredObject? FindByUid(string uid)
    {
        lock (_gate)
        {
            return _byUid.GetValueOrDefault(uid);
        }
    }

    /// <summary>Owner UIDs that some object still references although no such object exists.</summary>
    public IReadOnlyList<string> DanglingOwnerUids()
    {
        lock (_gate)
        {
            return [.. _dependentsByOwner.Keys.Where(owner => !_byUid.ContainsKey(owner))];
        }
    }

    public int Count(string resource)
    {
        lock (_gate)
        {
            return Table(resource).Objects.Count;
        }
    }

    /// <summary>Stores a new object; its metadata.resourceVersion is set here.</summary>
    public StoredObject Create(ResourceDefinition def, JsonObject obj)
    {
        var (ns, name) = NamespaceAndName(obj);
        lock (_gate)
        {
            var t = Table(def.GroupResource);
            var key = StoredObject.StoreKey(ns, name);
            if (t.Objects.ContainsKey(key))
            {
                throw new ApiException(409, "AlreadyExists", $"{def.GroupResource} \"{name}\" already exists",
                    Details(def, name));
            }

            var stored = Stamp(def, obj);
            t.Objects[key] = stored;
            Index(null, stored);
            Publish(t, new StoreEvent(WatchEventType.Added, stored, null));
            return stored;
        }
    }

    /// <summary>
    /// Replaces an object if its resourceVersion is still <paramref name="expectedRevision"/> (or unconditionally when null).
    /// </summary>
    public StoredObject Update(ResourceDefinition def, JsonObject obj, long? expectedRevision)
    {
        var (ns, name) = NamespaceAndName(obj);
        lock (_gate)
        {
            var t = Table(def.GroupResource);
            var key = StoredObject.StoreKey(ns, name);
            if (!t.Objects.TryGetValue(key, out var current))
            {
                throw new ApiException(404, "NotFound", $"{def.GroupResource} \"{name}\" not found", Details(def, name));
            }

            if (expectedRevision is { } rv && rv != current.ResourceVersion)
            {
                throw new ApiException(409, "Conflict",
                    $"Operation cannot be fulfilled on {def.GroupResource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                    Details(def, name));
            }

            var stored = Stamp(def, obj);
            t.Objects[key] = stored;
            Index(current, stored);
            Publish(t, new StoreEvent(WatchEventType.Modified, stored, current));
            return stored;
        }
    }

    /// <summary>Removes an object; the DELETED event carries its last state at a new resourceVersion.</summary>
    public StoredObject Delete(ResourceDefinition def, string ns, string name, long? expectedRevision = null, string? expectedUid = null)
    {
        lock (_gate)
        {
            var t = Table(def.GroupResource);
            var key = StoredObject.StoreKey(ns, name);
            if (!t.Objects.TryGetValue(key, out var current))
            {
                throw new ApiException(404, "NotFound", $"{def.GroupResource} \"{name}\" not found", Details(def, name));
            }

            if ((expectedRevision is { } rv && rv != current.ResourceVersion) || (expectedUid is { } uid && uid != current.Uid))
            {
                throw new ApiException(409, "Conflict",
                    $"Operation cannot be fulfilled on {def.GroupResource} \"{name}\": Precondition failed: UID in precondition: {expectedUid ?? current.Uid}, UID in object meta: {current.Uid}",
                    Details(def, name));
            }

            t.Objects.Remove(key);
            Index(current, null);
            var last = current.ToJsonObject();
            var tomb = Stamp(def, last);
            Publish(t, new StoreEvent(WatchEventType.Deleted, tomb, current));
            return tomb;
        }
    }

    /// <summary>Drops every object of a resource (its CRD was deleted) and closes its watches.</summary>
    public void DropResource(string resource)
    {
        lock (_gate)
        {
            if (_tables.Remove(resource, out var t))
            {
                foreach (var o in t.Objects.Values)
                {
                    Index(o, null);
                }

                foreach (var w in t.Watchers)
                {
                    w.Complete(overflowed: false);
                }
            }
        }
    }

    /// <summary>
    /// Opens a watch on a resource from a revision: events after it are replayed from history, then live ones follow.
    /// Null or 0 means "from now" (the caller lists first). Too old a revision → <see cref="ApiException"/> 410.
    /// </summary>
    public Watcher Watch(string resource, string? ns, long fromRevision)
    {
        lock (_gate)
        {
            var t = Table(resource);
            var w = new Watcher(this, t, ns, watcherBuffer);
            if (fromRevision > 0)
            {
                // History holds the newest events; anything at or before CompactedThrough is gone.
                if (fromRevision < t.CompactedThrough)
                {
                    throw new ApiException(410, "Expired", $"too old resource version: {fromRevision} ({t.CompactedThrough + 1})");
                }

                foreach (var e in t.History)
                {
                    if (e.ResourceVersion > fromRevision)
                    {
                        w.Offer(e);
                    }
                }
            }

            w.StartedAt = _revision;
            t.Watchers.Add(w);
            return w;
        }
    }

    /// <summary>
    /// The revision a bookmark may carry for this watcher: the current one, but only when nothing is still queued for it
    /// (publishing happens under the same lock, so no event at or below it can be pending). Null when events are pending.
    /// </summary>
    public long? SafeBookmark(Watcher w)
    {
        lock (_gate)
        {
            return w.Pending == 0 ? _revision : null;
        }
    }

    internal void Unsubscribe(ResourceTable table, Watcher w)
    {
        lock (_gate)
        {
            table.Watchers.Remove(w);
        }
    }

    private StoredObject Stamp(ResourceDefinition def, JsonObject obj)
    {
        var rv = ++_revision;
        ((JsonObject)obj["metadata"]!)["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return StoredObject.From(def.GroupResource, obj, rv);
    }

    /// <summary>Keeps the uid and owner indexes in step with one object's change (caller holds the lock).</summary>
    private void Index(StoredObject? before, StoredObject? after)
    {
        if (before is not null)
        {
            _byUid.Remove(before.Uid);
            foreach (var owner in before.OwnerUids)
            {
                if (_dependentsByOwner.TryGetValue(owner, out var set) && set.Remove(before.Uid) && set.Count == 0)
                {
                    _dependentsByOwner.Remove(owner);
                }
            }
        }

        if (after is not null)
        {
            _byUid[after.Uid] = after;
            foreach (var owner in after.OwnerUids)
            {
                if (!_dependentsByOwner.TryGetValue(owner, out var set))
                {
                    _dependentsByOwner[owner] = set = new HashSet<string>(StringComparer.Ordinal);
                }

                set.Add(after.Uid);
            }
        }
    }

    /// <summary>The revision of the newest change to a resource (0 when it never changed).</summary>
    public long LastChange(string resource)
    {
        lock (_gate)
        {
            return _tables.TryGetValue(resource, out var t) ? t.LastChange : 0;
        }
    }

    private void Publish(ResourceTable t, StoreEvent e)
    {
        t.Sorted = null;
        t.LastChange = e.ResourceVersion;
        t.History.Enqueue(e);
        while (t.History.Count > historyPerResource)
        {
            t.CompactedThrough = t.History.Dequeue().ResourceVersion;
        }

        for (var i = t.Watchers.Count - 1; i >= 0; i--)
        {
            var w = t.Watchers[i];
            if (w.Namespace is null || w.Namespace == e.Object.Namespace)
            {
                if (!w.Offer(e))
                {
                    t.Watchers.RemoveAt(i);
                }
            }
        }
    }

    private ResourceTable Table(string resource)
    {
        if (!_tables.TryGetValue(resource, out var t))
        {
            t = new ResourceTable();
            _tables[resource] = t;
        }

        return t;
    }

    private static (string Ns, string Name) NamespaceAndName(JsonObject obj)
    {
        var meta = obj["metadata"] as JsonObject ?? throw ApiException.BadRequest("object has no metadata");
        return ((string?)meta["namespace"] ?? "", (string?)meta["name"] ?? "");
    }

    private static JsonObject Details(ResourceDefinition def, string name) => new()
    {
        ["name"] = name,
        ["group"] = def.Group,
        ["kind"] = def.Plural,
    };

    internal sealed class ResourceTable
    {
        public Dictionary<string, StoredObject> Objects { get; } = new(StringComparer.Ordinal);
        public Queue<StoreEvent> History { get; } = new();
        /// <summary>The newest revision no longer in history (0 = nothing compacted yet).</summary>
        public long CompactedThrough { get; set; }
        public List<Watcher> Watchers { get; } = [];
        public long LastChange { get; set; }
        /// <summary>Objects sorted by key, kept until the next change.</summary>
        public StoredObject[]? Sorted { get; set; }
    }
}

/// <summary>A live subscription to one resource's changes. Dispose to stop it.</summary>
internal sealed class Watcher : IDisposable
{
    private readonly ObjectStore _store;
    private readonly ObjectStore.ResourceTable _table;
    private readonly Channel<StoreEvent> _channel;
    private readonly int _capacity;
    private int _queued;

    internal Watcher(ObjectStore store, ObjectStore.ResourceTable table, string? ns, int capacity)
    {
        _store = store;
        _table = table;
        Namespace = ns;
        _capacity = capacity;
        _channel = Channel.CreateUnbounded<StoreEvent>(new UnboundedChannelOptions { SingleReader = true });
    }

    public string? Namespace { get; }
    /// <summary>The store's revision when the watch went live (for bookmarks before any event).</summary>
    public long StartedAt { get; internal set; }
    /// <summary>True when the watcher fell too far behind and was cut off; the client must re-watch.</summary>
    public bool Overflowed { get; private set; }

    public ChannelReader<StoreEvent> Events => _channel.Reader;

    internal bool Offer(StoreEvent e)
    {
        if (Interlocked.Increment(ref _queued) > _capacity)
        {
            Complete(overflowed: true);
            return false;
        }

        return _channel.Writer.TryWrite(e);
    }

    /// <summary>Called by the reader for each event taken, so the capacity counts only what is queued.</summary>
    public void Taken() => Interlocked.Decrement(ref _queued);

    public int Pending => Volatile.Read(ref _queued);

    internal void Complete(bool overflowed)
    {
        Overflowed |= overflowed;
        _channel.Writer.TryComplete();
    }

    public void Dispose()
    {
        _channel.Writer.TryComplete();
        _store.Unsubscribe(_table, this);
    }
}
