namespace Runai.Core.Runtime.Internal;

/// <summary>
/// The informer's cache: objects by key plus named secondary indexes kept in step with every write. Not thread-safe;
/// the informer guards it with its own lock.
/// </summary>
internal sealed class IndexedStore<T>
    where T : class
{
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Index> _indexes = new(StringComparer.Ordinal);

    public int Count => _items.Count;

    public IEnumerable<string> Keys => _items.Keys;

    public IEnumerable<T> Values => _items.Values;

    public T? Get(string key) => _items.GetValueOrDefault(key);

    public void AddIndexer(string name, Func<T, IEnumerable<string>> indexer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(indexer);
        if (_indexes.ContainsKey(name))
        {
            throw new InvalidOperationException($"an indexer named \"{name}\" already exists");
        }

        var index = new Index(indexer);
        foreach (var (key, value) in _items)
        {
            index.Add(key, value);
        }

        _indexes[name] = index;
    }

    public IReadOnlyList<T> ByIndex(string name, string value)
    {
        if (!_indexes.TryGetValue(name, out var index))
        {
            throw new KeyNotFoundException($"no indexer named \"{name}\"; add it with AddIndexer first");
        }

        return index.Keys(value).Select(k => _items[k]).ToList();
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> and returns what was there.</summary>
    public T? Put(string key, T value)
    {
        var old = _items.GetValueOrDefault(key);
        if (old is not null)
        {
            foreach (var index in _indexes.Values)
            {
                index.Remove(key, old);
            }
        }

        _items[key] = value;
        foreach (var index in _indexes.Values)
        {
            index.Add(key, value);
        }

        return old;
    }

    public T? Remove(string key)
    {
        if (!_items.Remove(key, out var old))
        {
            return null;
        }

        foreach (var index in _indexes.Values)
        {
            index.Remove(key, old);
        }

        return old;
    }

    private sealed class Index(Func<T, IEnumerable<string>> indexer)
    {
        private readonly Dictionary<string, HashSet<string>> _keysByValue = new(StringComparer.Ordinal);

        public IEnumerable<string> Keys(string value) =>
            _keysByValue.TryGetValue(value, out var keys) ? keys : [];

        public void Add(string key, T item)
        {
            foreach (var value in indexer(item))
            {
                if (!_keysByValue.TryGetValue(value, out var keys))
                {
                    _keysByValue[value] = keys = new HashSet<string>(StringComparer.Ordinal);
                }

                keys.Add(key);
            }
        }

        public void Remove(string key, T item)
        {
            // The indexer is a pure function of the object, so the stored object yields the values it was filed under.
            foreach (var value in indexer(item))
            {
                if (_keysByValue.TryGetValue(value, out var keys) && keys.Remove(key) && keys.Count == 0)
                {
                    _keysByValue.Remove(value);
                }
            }
        }
    }
}
