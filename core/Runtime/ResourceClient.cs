using System.Reflection;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Runai.Core.Runtime;

/// <summary>One list or watch call an informer makes: the namespace (null for all) and the paging/watch arguments.</summary>
public sealed record ListRequest(string? Namespace, string? ResourceVersion, bool Watch, int? TimeoutSeconds, int? Limit, string? Continue)
{
    /// <summary>Bookmarks are asked for on every watch: they keep a quiet watch's resourceVersion fresh.</summary>
    public bool AllowWatchBookmarks => Watch;
}

/// <summary>How to list and watch one resource type <typeparamref name="T"/>; see <see cref="ResourceClient"/> for the known ones.</summary>
public sealed class ResourceClient<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Func<IKubernetes, ListRequest, CancellationToken, Task<(IList<T> Items, V1ListMeta? Meta)>> _list;
    private readonly Func<IKubernetes, ListRequest, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> _watch;

    internal ResourceClient(
        string resource,
        Func<IKubernetes, ListRequest, CancellationToken, Task<(IList<T> Items, V1ListMeta? Meta)>> list,
        Func<IKubernetes, ListRequest, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch)
    {
        Resource = resource;
        _list = list;
        _watch = watch;
    }

    /// <summary>The resource as the API names it (<c>pods</c>, <c>mpijobs.kubeflow.org</c>); a metric label.</summary>
    public string Resource { get; }

    internal Task<(IList<T> Items, V1ListMeta? Meta)> ListAsync(IKubernetes api, ListRequest request, CancellationToken ct) =>
        _list(api, request, ct);

    internal IAsyncEnumerable<(WatchEventType, T)> WatchAsync(IKubernetes api, ListRequest request, Action<Exception> onError, CancellationToken ct) =>
        _watch(api, request, onError, ct);

    public override string ToString() => Resource;
}

/// <summary>The resource types components watch, and the two ways to describe another one.</summary>
public static class ResourceClient
{
    /// <summary>
    /// A typed resource from KubernetesClient's generated list call; <paramref name="call"/> gets the request (namespace null
    /// meaning all namespaces) and passes its fields on, e.g.
    /// <c>(k, r, ct) =&gt; k.CoreV1.ListNodeWithHttpMessagesAsync(allowWatchBookmarks: r.AllowWatchBookmarks, …)</c>.
    /// </summary>
    public static ResourceClient<T> Create<T, TList>(string resource, Func<IKubernetes, ListRequest, CancellationToken, Task<HttpOperationResponse<TList>>> call)
        where T : class, IKubernetesObject<V1ObjectMeta>
        where TList : IItems<T>, IMetadata<V1ListMeta>
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resource);
        ArgumentNullException.ThrowIfNull(call);
        return new ResourceClient<T>(
            resource,
            async (k, r, ct) =>
            {
                using var response = await call(k, r with { Watch = false }, ct).ConfigureAwait(false);
                return (response.Body.Items, response.Body.Metadata);
            },
            (k, r, onError, ct) => WatchResponse<T, TList>(call(k, r with { Watch = true }, ct), onError, ct));
    }

    // KubernetesClient marks the response-based watch obsolete in favour of per-kind WatchList…Async methods, but those
    // return untyped objects for custom resources; this one serves typed built-ins and custom kinds alike.
#pragma warning disable CS0618
    private static IAsyncEnumerable<(WatchEventType, T)> WatchResponse<T, TList>(Task<HttpOperationResponse<TList>> response, Action<Exception> onError, CancellationToken ct) =>
        response.WatchAsync<T, TList>(onError, ct);
#pragma warning restore CS0618

    /// <summary>
    /// A custom resource through the generic custom-objects API, from the <see cref="KubernetesEntityAttribute"/> on
    /// <typeparamref name="T"/> (group, version, plural), e.g. <c>ResourceClient.Custom&lt;MpiJob&gt;()</c>.
    /// </summary>
    public static ResourceClient<T> Custom<T>()
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var entity = typeof(T).GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new ArgumentException($"{typeof(T).Name} has no [KubernetesEntity] attribute naming its group, version and plural");
        if (string.IsNullOrEmpty(entity.Group) || string.IsNullOrEmpty(entity.ApiVersion) || string.IsNullOrEmpty(entity.PluralName))
        {
            throw new ArgumentException($"{typeof(T).Name}'s [KubernetesEntity] must set Group, ApiVersion and PluralName for the custom-objects API");
        }

        return Custom<T>(entity.Group, entity.ApiVersion, entity.PluralName);
    }

    /// <summary>A custom resource through the generic custom-objects API, named explicitly.</summary>
    public static ResourceClient<T> Custom<T>(string group, string version, string plural)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        ArgumentException.ThrowIfNullOrWhiteSpace(plural);
        return Create<T, KubernetesList<T>>(plural + "." + group, (k, r, ct) => r.Namespace is null
            ? k.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<KubernetesList<T>>(group, version, plural,
                allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue, limit: r.Limit,
                resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct)
            : k.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<KubernetesList<T>>(group, version, r.Namespace, plural,
                allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue, limit: r.Limit,
                resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));
    }

    public static readonly ResourceClient<V1Pod> Pods = Create<V1Pod, V1PodList>("pods", (k, r, ct) => r.Namespace is null
        ? k.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct)
        : k.CoreV1.ListNamespacedPodWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly ResourceClient<V1ConfigMap> ConfigMaps = Create<V1ConfigMap, V1ConfigMapList>("configmaps", (k, r, ct) => r.Namespace is null
        ? k.CoreV1.ListConfigMapForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct)
        : k.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly ResourceClient<V1Secret> Secrets = Create<V1Secret, V1SecretList>("secrets", (k, r, ct) => r.Namespace is null
        ? k.CoreV1.ListSecretForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct)
        : k.CoreV1.ListNamespacedSecretWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly ResourceClient<V1PersistentVolumeClaim> PersistentVolumeClaims = Create<V1PersistentVolumeClaim, V1PersistentVolumeClaimList>(
        "persistentvolumeclaims", (k, r, ct) => r.Namespace is null
        ? k.CoreV1.ListPersistentVolumeClaimForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct)
        : k.CoreV1.ListNamespacedPersistentVolumeClaimWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly ResourceClient<V1Service> Services = Create<V1Service, V1ServiceList>("services", (k, r, ct) => r.Namespace is null
        ? k.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct)
        : k.CoreV1.ListNamespacedServiceWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly ResourceClient<V1Node> Nodes = Create<V1Node, V1NodeList>("nodes", (k, r, ct) =>
        k.CoreV1.ListNodeWithHttpMessagesAsync(allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly ResourceClient<V1Namespace> Namespaces = Create<V1Namespace, V1NamespaceList>("namespaces", (k, r, ct) =>
        k.CoreV1.ListNamespaceWithHttpMessagesAsync(allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly ResourceClient<V1DaemonSet> DaemonSets = Create<V1DaemonSet, V1DaemonSetList>("daemonsets.apps", (k, r, ct) => r.Namespace is null
        ? k.AppsV1.ListDaemonSetForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct)
        : k.AppsV1.ListNamespacedDaemonSetWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly ResourceClient<V1Deployment> Deployments = Create<V1Deployment, V1DeploymentList>("deployments.apps", (k, r, ct) => r.Namespace is null
        ? k.AppsV1.ListDeploymentForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct)
        : k.AppsV1.ListNamespacedDeploymentWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly ResourceClient<V1Job> Jobs = Create<V1Job, V1JobList>("jobs.batch", (k, r, ct) => r.Namespace is null
        ? k.BatchV1.ListJobForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct)
        : k.BatchV1.ListNamespacedJobWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));

    public static readonly ResourceClient<V1Lease> Leases = Create<V1Lease, V1LeaseList>("leases.coordination.k8s.io", (k, r, ct) => r.Namespace is null
        ? k.CoordinationV1.ListLeaseForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct)
        : k.CoordinationV1.ListNamespacedLeaseWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.AllowWatchBookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.Watch, cancellationToken: ct));
}
