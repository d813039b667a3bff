using k8s;
using k8s.Models;

namespace Runai.Core.Runtime;

/// <summary>How one shared informer lists and watches.</summary>
public sealed record InformerOptions<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public static InformerOptions<T> Default { get; } = new();

    /// <summary>Watch one namespace; null (the default) watches all.</summary>
    public string? Namespace { get; init; }

    /// <summary>
    /// Applied to every object before it is cached, to keep only what users need; it may change the object it is given.
    /// The default drops <c>managedFields</c> and kubectl's last-applied annotation.
    /// </summary>
    public Func<T, T> Transform { get; init; } = InformerTransforms.DropBookkeeping;

    /// <summary>Asked of the server per watch (timeoutSeconds); the watch then resumes from where it was.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>First retry delay after a failed list or watch; doubles (with jitter) up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Objects per list page.</summary>
    public int PageSize { get; init; } = 500;

    internal void Validate()
    {
        if (WatchTimeout < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"InformerOptions.WatchTimeout must be at least 1 s, not {WatchTimeout}");
        }

        if (InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            throw new ArgumentException($"InformerOptions back-off must satisfy 0 < InitialBackoff ({InitialBackoff}) <= MaxBackoff ({MaxBackoff})");
        }

        if (PageSize <= 0)
        {
            throw new ArgumentException($"InformerOptions.PageSize must be positive, not {PageSize}");
        }

        ArgumentNullException.ThrowIfNull(Transform, nameof(Transform));
    }
}

/// <summary>Transforms informers apply before caching.</summary>
public static class InformerTransforms
{
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>Drops server-side-apply <c>managedFields</c> and kubectl's last-applied copy: large, and read by no component.</summary>
    public static T DropBookkeeping<T>(T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (obj.Metadata is { } meta)
        {
            meta.ManagedFields = null;
            meta.Annotations?.Remove(LastAppliedAnnotation);
        }

        return obj;
    }
}
