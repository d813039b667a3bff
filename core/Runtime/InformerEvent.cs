namespace Runai.Core.Runtime;

public enum InformerEventType
{
    Added,
    Updated,
    Deleted,
}

/// <summary>
/// A change an informer's handler sees: the object's new state (for Deleted, its last known state), the state it
/// replaces (Updated and Deleted), and when the informer received it (<see cref="System.Diagnostics.Stopwatch"/> ticks).
/// </summary>
public readonly record struct InformerEvent<T>(InformerEventType Type, string Key, T Object, T? Previous, long ReceivedAt)
    where T : class;
