using System.Buffers;
using System.Collections.Concurrent;

namespace Runai.Exporter.Exposition;

/// <summary>
/// Families fed by one kind of object (workloads, projects, nodes, …) and each object's pre-rendered series, by key.
/// Events replace an object's <see cref="ObjectSeries"/> whole; a deleted object is removed and so vanishes from the next
/// scrape at once. Reads (scrapes) never block writes (events).
/// </summary>
internal sealed class FamilyGroup
{
    private readonly Dictionary<MetricFamily, int> _index = [];
    private readonly ConcurrentDictionary<string, byte[]> _objects = new(StringComparer.Ordinal);
    private int _series;
    private int _countHint;

    public FamilyGroup(string name, params IReadOnlyList<MetricFamily> families)
    {
        Name = name;
        Families = families;
        for (var i = 0; i < families.Count; i++) _index.Add(families[i], i);
    }

    /// <summary>What the objects are (<c>workload</c>, <c>node</c>): the <c>kind</c> label of the exporter's own series.</summary>
    public string Name { get; }

    public IReadOnlyList<MetricFamily> Families { get; }

    /// <summary>Objects with series.</summary>
    public int Count => _objects.Count;

    /// <summary>Series across all objects.</summary>
    public int SeriesCount => Volatile.Read(ref _series);

    public SeriesBuilder Builder() => new(this);

    internal int IndexOf(MetricFamily family) =>
        _index.TryGetValue(family, out var i) ? i : throw new ArgumentException($"{family.Name} is not a family of the {Name} group");

    public void Set(string key, ObjectSeries series)
    {
        var before = 0;
        _objects.AddOrUpdate(key, series.Data, (_, old) =>
        {
            before = ObjectSeries.CountOf(old);
            return series.Data;
        });
        Interlocked.Add(ref _series, series.Count - before);
    }

    public void Remove(string key)
    {
        if (_objects.TryRemove(key, out var old)) Interlocked.Add(ref _series, -ObjectSeries.CountOf(old));
    }

    public void Clear()
    {
        foreach (var key in _objects.Keys) Remove(key);
    }

    public bool Contains(string key) => _objects.ContainsKey(key);

    /// <summary>
    /// The objects' series as they are now, in an array rented from the shared pool (a scrape walks it once per family):
    /// the first <paramref name="count"/> entries. Give it back with <see cref="ReturnSnapshot"/>. Rented rather than
    /// allocated: at 10,000 workloads a fresh snapshot was most of what a scrape allocated.
    /// </summary>
    internal byte[][] RentSnapshot(out int count)
    {
        var snapshot = ArrayPool<byte[]>.Shared.Rent(Math.Max(16, Volatile.Read(ref _countHint) + 64));
        count = 0;
        foreach (var (_, data) in _objects)
        {
            if (count == snapshot.Length)
            {
                var larger = ArrayPool<byte[]>.Shared.Rent(snapshot.Length * 2);
                snapshot.AsSpan(0, count).CopyTo(larger);
                ReturnSnapshot(snapshot, count);
                snapshot = larger;
            }

            snapshot[count++] = data;
        }

        Volatile.Write(ref _countHint, count);
        return snapshot;
    }

    /// <summary>Gives a snapshot back, cleared so that the pool keeps no removed object's series alive.</summary>
    internal static void ReturnSnapshot(byte[][] snapshot, int count)
    {
        snapshot.AsSpan(0, count).Clear();
        ArrayPool<byte[]>.Shared.Return(snapshot);
    }
}
