using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Runai.Core;

namespace Runai.Controllers.Workloads;

/// <summary>
/// Writes <c>runai-*</c> annotation changes onto a workload object of any kind with a JSON merge patch on
/// <c>metadata.annotations</c> only: no resourceVersion, so it never conflicts with the MPI operator or a user
/// editing the spec, and other annotations are left alone.
/// </summary>
internal sealed class AnnotationWriter(IKubernetes api)
{
    public async Task WriteAsync(WorkloadKindInfo kind, string ns, string name, IReadOnlyDictionary<string, string?> changes, CancellationToken ct)
    {
        if (changes.Count == 0) return;
        var annotations = new JsonObject();
        foreach (var (key, value) in changes) annotations[key] = value is null ? null : JsonValue.Create(value);
        var body = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = annotations } };
        var patch = new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch);
        using var _ = await api.CustomObjects.PatchNamespacedCustomObjectWithHttpMessagesAsync(
            patch, kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: ct).ConfigureAwait(false);
    }
}
