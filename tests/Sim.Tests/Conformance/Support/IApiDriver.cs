namespace Runai.Sim.Tests.Conformance.Support;

public enum PatchKind
{
    Merge,
    Strategic,
    Json,
}

/// <summary>
/// The requests the conformance cases make, expressed once; <see cref="ClientDriver"/> sends them with KubernetesClient's
/// typed API and <see cref="KubectlDriver"/> with kubectl, so every case runs unchanged through both clients.
/// </summary>
public interface IApiDriver
{
    string Name { get; }

    Task<Outcome> CreateAsync(Manifest manifest);

    Task<Outcome> GetAsync(ObjectRef target);

    Task<Outcome> ListAsync(Kind kind, string ns, string? labelSelector = null, string? fieldSelector = null);

    /// <summary>PUT of the whole object; its metadata.resourceVersion (if any) is the precondition.</summary>
    Task<Outcome> ReplaceAsync(Manifest manifest);

    Task<Outcome> PatchAsync(ObjectRef target, PatchKind kind, string patch, bool status = false);

    /// <summary>Server-side apply as <paramref name="fieldManager"/>.</summary>
    Task<Outcome> ApplyAsync(Manifest manifest, string fieldManager, bool force = false);

    /// <summary>Deletes without waiting; <paramref name="propagationPolicy"/> is Background, Foreground or Orphan.</summary>
    Task<Outcome> DeleteAsync(ObjectRef target, string? propagationPolicy = null);

    /// <summary>POST pods/{name}/binding, as a scheduler does.</summary>
    Task<Outcome> BindAsync(string ns, string pod, string node);

    /// <summary>Whether <paramref name="user"/> may do <paramref name="verb"/> on <paramref name="resource"/> in <paramref name="ns"/>.</summary>
    Task<bool> CanIAsync(string user, string verb, string resource, string ns);

    /// <summary>Watches pods in a namespace; events from <paramref name="resourceVersion"/> where the client can say so.</summary>
    Task<IWatchStream> WatchPodsAsync(string ns, string resourceVersion);
}

/// <summary>Events of one watch, in the order the client showed them.</summary>
public interface IWatchStream : IAsyncDisposable
{
    /// <summary>The next event; fails the test when none comes within <paramref name="timeout"/>.</summary>
    Task<SeenEvent> NextAsync(TimeSpan timeout);
}
