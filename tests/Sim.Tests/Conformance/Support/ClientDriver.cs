using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Runai.Sim.Tests.Conformance.Support;

/// <summary>
/// The cases through KubernetesClient as a component uses it: the typed API for core kinds, CustomObjects for the rest.
/// Errors come back as the Status body the server sent with its HTTP code.
/// </summary>
public sealed class ClientDriver(IKubernetes client) : IApiDriver
{
    public string Name => "client";

    public Task<Outcome> CreateAsync(Manifest m) => Run(async () => m.Kind.Plural switch
    {
        "configmaps" => Json(await client.CoreV1.CreateNamespacedConfigMapAsync(As<V1ConfigMap>(m.Body), m.Namespace)),
        "pods" => Json(await client.CoreV1.CreateNamespacedPodAsync(As<V1Pod>(m.Body), m.Namespace)),
        "namespaces" => Json(await client.CoreV1.CreateNamespaceAsync(As<V1Namespace>(m.Body))),
        _ when m.Kind.Namespaced => Json(await client.CustomObjects.CreateNamespacedCustomObjectAsync(m.Body, m.Kind.Group, m.Kind.Version, m.Namespace, m.Kind.Plural)),
        _ => Json(await client.CustomObjects.CreateClusterCustomObjectAsync(m.Body, m.Kind.Group, m.Kind.Version, m.Kind.Plural)),
    });

    public Task<Outcome> GetAsync(ObjectRef r) => Run(async () => r.Kind.Plural switch
    {
        "configmaps" => Json(await client.CoreV1.ReadNamespacedConfigMapAsync(r.Name, r.Namespace)),
        "pods" => Json(await client.CoreV1.ReadNamespacedPodAsync(r.Name, r.Namespace)),
        "namespaces" => Json(await client.CoreV1.ReadNamespaceAsync(r.Name)),
        _ when r.Kind.Namespaced => Json(await client.CustomObjects.GetNamespacedCustomObjectAsync(r.Kind.Group, r.Kind.Version, r.Namespace, r.Kind.Plural, r.Name)),
        _ => Json(await client.CustomObjects.GetClusterCustomObjectAsync(r.Kind.Group, r.Kind.Version, r.Kind.Plural, r.Name)),
    });

    public Task<Outcome> ListAsync(Kind kind, string ns, string? labelSelector = null, string? fieldSelector = null) => Run(async () => kind.Plural switch
    {
        "configmaps" => Json(await client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: labelSelector, fieldSelector: fieldSelector)),
        "pods" => Json(await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: labelSelector, fieldSelector: fieldSelector)),
        _ when kind.Namespaced => Json(await client.CustomObjects.ListNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural,
            labelSelector: labelSelector, fieldSelector: fieldSelector)),
        _ => Json(await client.CustomObjects.ListClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural,
            labelSelector: labelSelector, fieldSelector: fieldSelector)),
    });

    public Task<Outcome> ReplaceAsync(Manifest m) => Run(async () => m.Kind.Plural switch
    {
        "configmaps" => Json(await client.CoreV1.ReplaceNamespacedConfigMapAsync(As<V1ConfigMap>(m.Body), m.Name, m.Namespace)),
        "pods" => Json(await client.CoreV1.ReplaceNamespacedPodAsync(As<V1Pod>(m.Body), m.Name, m.Namespace)),
        _ when m.Kind.Namespaced => Json(await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(m.Body, m.Kind.Group, m.Kind.Version, m.Namespace, m.Kind.Plural, m.Name)),
        _ => Json(await client.CustomObjects.ReplaceClusterCustomObjectAsync(m.Body, m.Kind.Group, m.Kind.Version, m.Kind.Plural, m.Name)),
    });

    public Task<Outcome> PatchAsync(ObjectRef r, PatchKind kind, string patch, bool status = false)
    {
        var body = new V1Patch(patch, kind switch
        {
            PatchKind.Merge => V1Patch.PatchType.MergePatch,
            PatchKind.Strategic => V1Patch.PatchType.StrategicMergePatch,
            _ => V1Patch.PatchType.JsonPatch,
        });
        return Send(r, body, fieldManager: null, force: null, status);
    }

    public Task<Outcome> ApplyAsync(Manifest m, string fieldManager, bool force = false) =>
        Send(m.Ref, new V1Patch(m.Body.ToJsonString(), V1Patch.PatchType.ApplyPatch), fieldManager, force, status: false);

    private Task<Outcome> Send(ObjectRef r, V1Patch body, string? fieldManager, bool? force, bool status) => Run(async () => (r.Kind.Plural, status) switch
    {
        ("configmaps", _) => Json(await client.CoreV1.PatchNamespacedConfigMapAsync(body, r.Name, r.Namespace, fieldManager: fieldManager, force: force)),
        ("pods", false) => Json(await client.CoreV1.PatchNamespacedPodAsync(body, r.Name, r.Namespace, fieldManager: fieldManager, force: force)),
        ("pods", true) => Json(await client.CoreV1.PatchNamespacedPodStatusAsync(body, r.Name, r.Namespace, fieldManager: fieldManager, force: force)),
        ("namespaces", _) => Json(await client.CoreV1.PatchNamespaceAsync(body, r.Name, fieldManager: fieldManager, force: force)),
        (_, false) when r.Kind.Namespaced => Json(await client.CustomObjects.PatchNamespacedCustomObjectAsync(body, r.Kind.Group, r.Kind.Version, r.Namespace, r.Kind.Plural, r.Name, fieldManager: fieldManager, force: force)),
        (_, true) when r.Kind.Namespaced => Json(await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(body, r.Kind.Group, r.Kind.Version, r.Namespace, r.Kind.Plural, r.Name, fieldManager: fieldManager, force: force)),
        (_, false) => Json(await client.CustomObjects.PatchClusterCustomObjectAsync(body, r.Kind.Group, r.Kind.Version, r.Kind.Plural, r.Name, fieldManager: fieldManager, force: force)),
        (_, true) => Json(await client.CustomObjects.PatchClusterCustomObjectStatusAsync(body, r.Kind.Group, r.Kind.Version, r.Kind.Plural, r.Name, fieldManager: fieldManager, force: force)),
    });

    // What a delete answers is typed as V1Status, which KubernetesClient cannot serialize back; the cases read the object afterwards.
    public Task<Outcome> DeleteAsync(ObjectRef r, string? propagationPolicy = null) => Run(async () =>
    {
        _ = r.Kind.Plural switch
        {
            "configmaps" => await client.CoreV1.DeleteNamespacedConfigMapAsync(r.Name, r.Namespace, propagationPolicy: propagationPolicy),
            "pods" => await client.CoreV1.DeleteNamespacedPodAsync(r.Name, r.Namespace, propagationPolicy: propagationPolicy),
            "namespaces" => await client.CoreV1.DeleteNamespaceAsync(r.Name, propagationPolicy: propagationPolicy),
            _ when r.Kind.Namespaced => await client.CustomObjects.DeleteNamespacedCustomObjectAsync(r.Kind.Group, r.Kind.Version, r.Namespace, r.Kind.Plural, r.Name, propagationPolicy: propagationPolicy),
            _ => await client.CustomObjects.DeleteClusterCustomObjectAsync(r.Kind.Group, r.Kind.Version, r.Kind.Plural, r.Name, propagationPolicy: propagationPolicy),
        };
        return new JsonObject();
    });

    public Task<Outcome> BindAsync(string ns, string pod, string node) => Run(async () =>
    {
        await client.CoreV1.CreateNamespacedPodBindingAsync(
            new V1Binding { Metadata = new V1ObjectMeta { Name = pod }, Target = new V1ObjectReference { Kind = "Node", Name = node } }, pod, ns);
        return new JsonObject();
    });

    public async Task<bool> CanIAsync(string user, string verb, string resource, string ns)
    {
        // Type meta set explicitly: the simulation does not yet default it for access reviews (RbacTests has the case).
        var review = await client.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
        {
            ApiVersion = "authorization.k8s.io/v1",
            Kind = "SubjectAccessReview",
            Spec = new V1SubjectAccessReviewSpec
            {
                User = user,
                ResourceAttributes = new V1ResourceAttributes { Verb = verb, Resource = resource, NamespaceProperty = ns },
            },
        });
        return review.Status.Allowed;
    }

    public Task<IWatchStream> WatchPodsAsync(string ns, string resourceVersion)
    {
        var stream = new ClientWatch();
        var events = client.CoreV1.WatchListNamespacedPodAsync(ns, resourceVersion: resourceVersion, onError: stream.Fail, cancellationToken: stream.Stopping);
        stream.Pump(events);
        return Task.FromResult<IWatchStream>(stream);
    }

    private sealed class ClientWatch : IWatchStream
    {
        private readonly Channel<SeenEvent> _events = Channel.CreateUnbounded<SeenEvent>();
        private readonly CancellationTokenSource _stop = new();
        private Task _pump = Task.CompletedTask;

        public CancellationToken Stopping => _stop.Token;

        public void Fail(Exception e) => _events.Writer.TryWrite(new SeenEvent("ERROR", e.Message));

        public void Pump(IAsyncEnumerable<(WatchEventType Type, V1Pod Pod)> events) => _pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var (type, pod) in events)
                {
                    _events.Writer.TryWrite(new SeenEvent(type.ToString().ToUpperInvariant(), pod.Metadata?.Name ?? ""));
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                _events.Writer.TryComplete();
            }
        });

        public async Task<SeenEvent> NextAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                return await _events.Reader.ReadAsync(cts.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
            {
                throw new Xunit.Sdk.XunitException($"the client's watch showed no further event within {timeout}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _pump;
            _stop.Dispose();
        }
    }

    private static T As<T>(JsonObject o) => KubernetesJson.Deserialize<T>(o.ToJsonString());

    private static JsonObject Json(object o) => JsonNode.Parse(o is JsonElement e ? e.GetRawText() : KubernetesJson.Serialize(o))!.AsObject();

    private static async Task<Outcome> Run(Func<Task<JsonObject>> call)
    {
        try
        {
            return Outcome.Of(await call());
        }
        catch (HttpOperationException e)
        {
            return Outcome.Failed(ErrorOf(e));
        }
    }

    /// <summary>The Status body of a failed request; a body that is not a Status shows as reason "(no Status body)".</summary>
    public static ApiError ErrorOf(HttpOperationException e)
    {
        var content = e.Response.Content ?? "";
        JsonObject? status = null;
        try
        {
            status = JsonNode.Parse(content) as JsonObject;
        }
        catch (JsonException)
        {
        }

        return (string?)status?["kind"] == "Status"
            ? new ApiError((int)e.Response.StatusCode, (string?)status["reason"] ?? "", (string?)status["message"] ?? "", content)
            : new ApiError((int)e.Response.StatusCode, "(no Status body)", content, content);
    }
}
