using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Runai.Sim.Api;
using Runai.Sim.Api.Storage;

namespace Runai.Sim.Cluster;

/// <summary>
/// What kube-controller-manager and the apiextensions server do that clients rely on: CRDs become served resources
/// (and stop being served when deleted), owner references cascade deletion (background, foreground, orphan),
/// and a deleted namespace empties before it goes.
/// </summary>
internal sealed class ControlPlaneControllers : IAsyncDisposable
{
    private readonly ApiOperations _ops;
    private readonly ILogger _log;
    private readonly Channel<Work> _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Task _sweeper;
    private static readonly Api.Rbac.UserInfo Controller = new("system:kube-controller-manager", ["system:masters", "system:authenticated"]);

    private abstract record Work;
    private sealed record OwnerGone(string Uid) : Work;
    private sealed record OwnerTerminating(string Resource, string Namespace, string Name) : Work;
    private sealed record NamespaceTerminating(string Name) : Work;
    private sealed record CrdChanged(string Name) : Work;
    private sealed record NamespaceCreated(string Name) : Work;

    public ControlPlaneControllers(ApiOperations ops, ILogger<ControlPlaneControllers> log)
    {
        _ops = ops;
        _log = log;
        ops.Changed += OnChanged;
        _loop = Task.Run(RunAsync);
        _sweeper = Task.Run(SweepAsync);
    }

    /// <summary>Registers a CRD's resources at once (used for CRDs loaded at start-up, before clients connect).</summary>
    public void Establish(StoredObject crd) => EstablishNow(crd.ToJsonObject());

    private void OnChanged(ResourceDefinition def, StoreEvent e)
    {
        var obj = e.Object;
        if (def.GroupResource == "customresourcedefinitions.apiextensions.k8s.io")
        {
            if (e.Type == WatchEventType.Deleted)
            {
                foreach (var removed in _ops.Registry.RemoveCrd(obj.Name))
                {
                    _ops.Store.DropResource(removed.GroupResource);
                }

                _log.LogInformation("CRD {Name} deleted: its resources are no longer served", obj.Name);
            }
            else
            {
                // Registration is synchronous so discovery shows the kind as soon as the create returns.
                EstablishNow(obj.ToJsonObject());
                _queue.Writer.TryWrite(new CrdChanged(obj.Name));
            }

            return;
        }

        if (e.Type == WatchEventType.Added && def.GroupResource == "namespaces")
        {
            _queue.Writer.TryWrite(new NamespaceCreated(obj.Name));
            return;
        }

        if (e.Type == WatchEventType.Deleted && obj.Uid.Length > 0)
        {
            _queue.Writer.TryWrite(new OwnerGone(obj.Uid));
            // A dependent's end may be what a foreground-deleting owner waits for.
            foreach (var ownerUid in obj.OwnerUids)
            {
                if (_ops.Store.FindByUid(ownerUid) is { } owner && _ops.Registry.FindGroupResource(owner.Resource) is not null)
                {
                    _queue.Writer.TryWrite(new OwnerTerminating(owner.Resource, owner.Namespace, owner.Name));
                }
            }

            return;
        }

        if (e.Type == WatchEventType.Modified)
        {
            var json = obj.ToJsonObject();
            if (json["metadata"]?["deletionTimestamp"] is null)
            {
                return;
            }

            if (def.GroupResource == "namespaces")
            {
                _queue.Writer.TryWrite(new NamespaceTerminating(obj.Name));
            }

            if (json["metadata"]?["finalizers"] is JsonArray f && f.Any(x => (string?)x is "foregroundDeletion" or "orphan"))
            {
                _queue.Writer.TryWrite(new OwnerTerminating(def.GroupResource, obj.Namespace, obj.Name));
            }
        }
    }

    private void EstablishNow(JsonObject crd)
    {
        var name = (string?)crd["metadata"]?["name"] ?? "";
        if (BuiltInResources.CrdProblems(crd).Count > 0)
        {
            return;
        }

        var defs = new List<ResourceDefinition>();
        foreach (var v in (crd["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if ((bool?)v["served"] != false)
            {
                defs.Add(BuiltInResources.FromCrd(crd, (string)v["name"]!));
            }
        }

        _ops.Registry.SetCrd(name, defs);
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        try
        {
            await foreach (var work in _queue.Reader.ReadAllAsync(ct))
            {
                try
                {
                    await HandleAsync(work, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _log.LogWarning(e, "Control-plane work {Work} failed; it is retried by the next sweep", work);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HandleAsync(Work work, CancellationToken ct)
    {
        switch (work)
        {
            case CrdChanged c:
                MarkEstablished(c.Name);
                break;
            case OwnerGone g:
                foreach (var dependent in _ops.Store.Dependents(g.Uid))
                {
                    await CollectAsync(dependent, g.Uid, ct);
                }

                break;
            case OwnerTerminating t:
                await FinishOwnerAsync(t, ct);
                break;
            case NamespaceTerminating n:
                await EmptyNamespaceAsync(n.Name, ct);
                break;
            case NamespaceCreated c:
                await SeedNamespaceAsync(c.Name, ct);
                break;
        }
    }

    /// <summary>A dependent whose owners are all gone is deleted (background propagation).</summary>
    private async Task CollectAsync(StoredObject dependent, string goneUid, CancellationToken ct)
    {
        var def = _ops.Registry.FindGroupResource(dependent.Resource);
        if (def is null)
        {
            return;
        }

        var remaining = dependent.OwnerUids.Where(u => u != goneUid && OwnerExists(u)).ToList();
        if (remaining.Count > 0)
        {
            // Still owned by someone else: only the dangling reference goes.
            _ops.Mutate(def, dependent.Namespace, dependent.Name, o => DropOwnerRef(o, goneUid), "garbage-collector");
            return;
        }

        try
        {
            await _ops.DeleteAsync(Controller, def, dependent.Namespace, dependent.Name, new DeleteOptions(), ct);
            _log.LogDebug("Garbage-collected {Resource} {Key} (owner {Uid} is gone)", dependent.Resource, dependent.Key, goneUid);
        }
        catch (ApiException e) when (e.Code == 404)
        {
        }
    }

    private bool OwnerExists(string uid) => _ops.Store.FindByUid(uid) is not null;

    private static JsonObject DropOwnerRef(JsonObject o, string uid)
    {
        if (o["metadata"]?["ownerReferences"] is JsonArray refs)
        {
            foreach (var r in refs.OfType<JsonObject>().Where(r => (string?)r["uid"] == uid).ToList())
            {
                refs.Remove(r);
            }

            if (refs.Count == 0)
            {
                ((JsonObject)o["metadata"]!).Remove("ownerReferences");
            }
        }

        return o;
    }

    /// <summary>Foreground: dependents go first, then the owner. Orphan: dependents lose the reference, then the owner goes.</summary>
    private async Task FinishOwnerAsync(OwnerTerminating t, CancellationToken ct)
    {
        var def = _ops.Registry.FindGroupResource(t.Resource);
        var owner = def is null ? null : _ops.Store.Get(t.Resource, t.Namespace, t.Name);
        if (def is null || owner is null)
        {
            return;
        }

        var finalizers = (owner.ToJsonObject()["metadata"]?["finalizers"] as JsonArray ?? []).Select(f => (string?)f).ToList();
        var dependents = _ops.Store.Dependents(owner.Uid);
        if (finalizers.Contains("orphan"))
        {
            foreach (var d in dependents)
            {
                if (_ops.Registry.FindGroupResource(d.Resource) is { } ddef)
                {
                    _ops.Mutate(ddef, d.Namespace, d.Name, o => DropOwnerRef(o, owner.Uid), "garbage-collector");
                }
            }

            RemoveFinalizer(def, owner, "orphan");
            return;
        }

        if (finalizers.Contains("foregroundDeletion"))
        {
            if (dependents.Count == 0)
            {
                RemoveFinalizer(def, owner, "foregroundDeletion");
                return;
            }

            foreach (var d in dependents)
            {
                if (_ops.Registry.FindGroupResource(d.Resource) is { } ddef)
                {
                    try
                    {
                        await _ops.DeleteAsync(Controller, ddef, d.Namespace, d.Name, new DeleteOptions { PropagationPolicy = "Foreground" }, ct);
                    }
                    catch (ApiException e) when (e.Code == 404)
                    {
                    }
                }
            }
        }
    }

    private void RemoveFinalizer(ResourceDefinition def, StoredObject owner, string finalizer)
    {
        var after = _ops.Mutate(def, owner.Namespace, owner.Name, o =>
        {
            if (o["metadata"]?["finalizers"] is JsonArray f)
            {
                foreach (var x in f.Where(x => (string?)x == finalizer).ToList())
                {
                    f.Remove(x);
                }
            }

            return o;
        }, "garbage-collector");
        if (after["metadata"]?["finalizers"] is not JsonArray { Count: > 0 })
        {
            _ops.Remove(def, owner.Namespace, owner.Name);
        }
    }

    /// <summary>What the service-account and root-CA publishers put in every new namespace.</summary>
    private async Task SeedNamespaceAsync(string ns, CancellationToken ct)
    {
        var saDef = _ops.Registry.Find("", "v1", "serviceaccounts")!;
        if (_ops.Store.Get(saDef.GroupResource, ns, "default") is not null)
        {
            return;
        }

        try
        {
            await _ops.CreateAsync(Controller, saDef, ns, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ServiceAccount",
                ["metadata"] = new JsonObject { ["name"] = "default", ["namespace"] = ns },
            }, new WriteOptions { FieldManager = "service-account-controller" }, ct);
        }
        catch (ApiException e) when (e.Code is 409 or 403 or 404)
        {
            // created meanwhile, or the namespace is already going away
        }
    }

    private async Task EmptyNamespaceAsync(string ns, CancellationToken ct)
    {
        var nsDef = _ops.Registry.Find("", "v1", "namespaces")!;
        if (_ops.Store.Get(nsDef.GroupResource, "", ns) is null)
        {
            return;
        }

        var left = 0;
        foreach (var def in _ops.Registry.All.Where(d => d.Namespaced).DistinctBy(d => d.GroupResource))
        {
            foreach (var o in _ops.Store.List(def.GroupResource, ns).Items)
            {
                left++;
                if (o.ToJsonObject()["metadata"]?["deletionTimestamp"] is null)
                {
                    try
                    {
                        await _ops.DeleteAsync(Controller, def, ns, o.Name, new DeleteOptions(), ct);
                    }
                    catch (ApiException e) when (e.Code == 404)
                    {
                    }
                }
            }
        }

        if (left == 0)
        {
            _ops.Remove(nsDef, "", ns);
            _log.LogInformation("Namespace {Namespace} deleted", ns);
        }
    }

    private void MarkEstablished(string name)
    {
        var def = _ops.Registry.FindGroupResource("customresourcedefinitions.apiextensions.k8s.io")!;
        var crd = _ops.Store.Get(def.GroupResource, "", name);
        if (crd is null)
        {
            return;
        }

        var json = crd.ToJsonObject();
        var problems = BuiltInResources.CrdProblems(json);
        var wantEstablished = problems.Count == 0 ? "True" : "False";
        var conditions = json["status"]?["conditions"] as JsonArray ?? [];
        if (conditions.OfType<JsonObject>().Any(c => (string?)c["type"] == "Established" && (string?)c["status"] == wantEstablished))
        {
            return;
        }

        _ops.Mutate(def, "", name, o =>
        {
            var status = new JsonObject();
            ApiServer.SetCondition(status, "NamesAccepted", wantEstablished, problems.Count == 0 ? "NoConflicts" : "InvalidNames",
                problems.Count == 0 ? "no conflicts found" : string.Join("; ", problems), TimeProvider.System);
            ApiServer.SetCondition(status, "Established", wantEstablished, problems.Count == 0 ? "InitialNamesAccepted" : "NotAccepted",
                problems.Count == 0 ? "the initial names have been accepted" : "not all names are accepted", TimeProvider.System);
            status["acceptedNames"] = o["spec"]?["names"]?.DeepClone();
            status["storedVersions"] = new JsonArray([.. (o["spec"]?["versions"] as JsonArray ?? [])
                .OfType<JsonObject>().Where(v => (bool?)v["storage"] == true).Select(v => (JsonNode)(string)v["name"]!)]);
            o["status"] = status;
            return o;
        });
    }

    /// <summary>Catches what events missed: terminating namespaces and owners, and dependents whose owners vanished.</summary>
    private async Task SweepAsync()
    {
        var ct = _stop.Token;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(3), ct);
                foreach (var ns in _ops.Store.List("namespaces", null).Items)
                {
                    if (ns.ToJsonObject()["metadata"]?["deletionTimestamp"] is not null)
                    {
                        _queue.Writer.TryWrite(new NamespaceTerminating(ns.Name));
                    }
                }

                foreach (var uid in _ops.Store.DanglingOwnerUids())
                {
                    _queue.Writer.TryWrite(new OwnerGone(uid));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _ops.Changed -= OnChanged;
        await _stop.CancelAsync();
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loop, _sweeper);
        _stop.Dispose();
    }
}
