namespace Runai.Core.Runtime.Internal;

/// <summary>What a relist changes: the events that move a handler from the cached state to the listed one.</summary>
internal static class Resync
{
    /// <summary>
    /// Added for keys only in <paramref name="listed"/>, Updated for keys whose resourceVersion differs, Deleted (with
    /// the last cached state) for keys no longer listed. Unchanged objects yield nothing: the handler already saw them.
    /// Deterministic order: deletions first, then additions and updates in list order.
    /// </summary>
    public static IReadOnlyList<CacheChange<T>> Diff<T>(
        IReadOnlyDictionary<string, T> cached, IReadOnlyList<(string Key, T Value)> listed, Func<T, string?> resourceVersion)
        where T : class
    {
        var changes = new List<CacheChange<T>>();
        var listedKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, _) in listed)
        {
            if (!listedKeys.Add(key))
            {
                throw new InvalidOperationException($"the list holds {key} twice");
            }
        }

        foreach (var (key, old) in cached.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!listedKeys.Contains(key))
            {
                changes.Add(new CacheChange<T>(InformerEventType.Deleted, key, old, old));
            }
        }

        foreach (var (key, value) in listed)
        {
            if (!cached.TryGetValue(key, out var old))
            {
                changes.Add(new CacheChange<T>(InformerEventType.Added, key, value, null));
            }
            else if (!string.Equals(resourceVersion(old), resourceVersion(value), StringComparison.Ordinal))
            {
                changes.Add(new CacheChange<T>(InformerEventType.Updated, key, value, old));
            }
        }

        return changes;
    }
}

internal readonly record struct CacheChange<T>(InformerEventType Type, string Key, T Object, T? Previous)
    where T : class;
