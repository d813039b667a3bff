using Microsoft.Extensions.Logging;
using Runai.Sim.Api;
using Runai.Sim.Api.Storage;
using static Runai.Sim.Cluster.WorkloadObjects;

namespace Runai.Sim.Cluster;

/// <summary>
/// The reconcile loop of a controller whose objects own children (a ReplicaSet's or a Job's pods, a Deployment's
/// ReplicaSets): a change to one of its objects, or to a child it owns, queues that object; every object is resynced
/// every 5 s. The reconcile is given the object's namespace, name and stored state, and is not called once it is gone.
/// </summary>
internal sealed class OwnerLoop : IAsyncDisposable
{
    private readonly ApiOperations _ops;
    private readonly string _resource;
    private readonly string _children;
    private readonly ReconcileLoop _loop;

    public OwnerLoop(ApiOperations ops, string what, string resource, string children,
        Func<string, string, StoredObject, CancellationToken, Task> reconcile, ILogger log)
    {
        _ops = ops;
        _resource = resource;
        _children = children;
        _loop = new ReconcileLoop(what, (key, ct) =>
        {
            var slash = key.IndexOf('/');
            var (ns, name) = (key[..slash], key[(slash + 1)..]);
            return ops.Store.Get(resource, ns, name) is { } stored ? reconcile(ns, name, stored, ct) : Task.CompletedTask;
        }, () => ops.Store.List(resource, null).Items.Select(i => i.Key), TimeSpan.FromSeconds(5), log);
        ops.Changed += OnChanged;
        _loop.Start();
    }

    private void OnChanged(ResourceDefinition def, StoreEvent e)
    {
        if (def.GroupResource == _resource)
        {
            _loop.Enqueue(e.Object.Key);
        }
        else if (def.GroupResource == _children)
        {
            foreach (var owner in OwnerKeys(_ops, e.Object, _resource)) _loop.Enqueue(owner);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _ops.Changed -= OnChanged;
        await _loop.DisposeAsync();
    }
}
