using k8s;
using k8s.Models;

namespace Runai.Core.Runtime;

/// <summary>
/// What a controller does for one object. Calls for the same object never overlap; an exception retries the object
/// with back-off. Both methods get the controller's token, which is cancelled when the component stops leading.
/// </summary>
public interface IReconciler<in T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>Brings the world in line with <paramref name="entity"/>, the latest state in the cache.</summary>
    Task<ReconcileResult> ReconcileAsync(T entity, CancellationToken ct);

    /// <summary>The object is gone; <paramref name="entity"/> is its last known state.</summary>
    Task DeletedAsync(T entity, CancellationToken ct);
}

/// <summary>A reconcile's verdict: done until something changes, or look again after a delay.</summary>
public readonly record struct ReconcileResult(TimeSpan? RequeueAfter)
{
    public static ReconcileResult Done => default;

    public static ReconcileResult Requeue(TimeSpan after)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(after, TimeSpan.Zero);
        return new ReconcileResult(after);
    }
}
