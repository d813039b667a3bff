using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Runtime;

namespace Runai.Controllers.Projects;

/// <summary>
/// Binds each Project to its namespace: creates the namespace when it is missing, keeps the labels that mark it
/// as the project's (<c>runai/queue</c>, which runai-admission's webhook selects on, and <c>project</c>), and
/// reports on the Project's status whether the spec is usable (<c>Valid</c>) and the namespace is in place
/// (<c>NamespaceReady</c>). A namespace claimed by two projects stays with the older one; the younger says so.
/// Namespaces are never deleted with their project: they hold the users' work.
/// </summary>
internal sealed class ProjectReconciler(IKubernetes api, SharedInformer<Project> projects, SharedInformer<V1Namespace> namespaces, ILogger log, TimeProvider clock)
    : IReconciler<Project>
{
    /// <summary>The label on a project's namespace naming the project (Run:ai's queue label).</summary>
    public const string QueueLabel = "runai/queue";

    public const string NamespaceIndex = "namespace";

    public async Task<ReconcileResult> ReconcileAsync(Project project, CancellationToken ct)
    {
        var name = project.Metadata.Name;
        var ns = project.EffectiveNamespace;
        var plan = ProjectChecks.Check(project, projects.ByIndex(NamespaceIndex, ns));
        ResourceCondition namespaceReady;
        if (plan.Problem is { } problem)
        {
            namespaceReady = Condition(ProjectConditionTypes.NamespaceReady, false, plan.Reason!, $"namespace {ns} is not bound: {problem}");
        }
        else
        {
            namespaceReady = await BindNamespaceAsync(name, ns, ct);
        }

        var valid = plan.Problem is null
            ? Condition(ProjectConditionTypes.Valid, true, "Valid", "the spec is usable")
            : Condition(ProjectConditionTypes.Valid, false, plan.Reason!, plan.Problem);
        await WriteStatusAsync(project, [valid, namespaceReady], ct);
        return ReconcileResult.Done;
    }

    public Task DeletedAsync(Project entity, CancellationToken ct) => Task.CompletedTask;

    private async Task<ResourceCondition> BindNamespaceAsync(string project, string ns, CancellationToken ct)
    {
        var existing = namespaces.Get(null, ns);
        var labels = new Dictionary<string, string> { [QueueLabel] = project, [RunaiLabels.Project] = project };
        if (existing is null)
        {
            try
            {
                await api.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns, Labels = labels } }, cancellationToken: ct);
                log.LogInformation("Created namespace {Namespace} for project {Project}", ns, project);
                return Condition(ProjectConditionTypes.NamespaceReady, true, "Created", $"namespace {ns} was created for the project");
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // Created meanwhile: labelled on the next pass, which its watch event brings.
                return Condition(ProjectConditionTypes.NamespaceReady, false, "Binding", $"namespace {ns} appeared while being created; labelling it");
            }
        }

        if (existing.Status?.Phase == "Terminating" || existing.Metadata.DeletionTimestamp is not null)
        {
            return Condition(ProjectConditionTypes.NamespaceReady, false, "NamespaceTerminating", $"namespace {ns} is being deleted; it is created again once it is gone");
        }

        var have = existing.Metadata.Labels ?? new Dictionary<string, string>();
        if (labels.Any(kv => !have.TryGetValue(kv.Key, out var v) || v != kv.Value))
        {
            await api.CoreV1.PatchNamespaceAsync(new V1Patch(new { metadata = new { labels } }, V1Patch.PatchType.MergePatch), ns, cancellationToken: ct);
            log.LogInformation("Labelled namespace {Namespace} as project {Project}'s", ns, project);
        }

        return Condition(ProjectConditionTypes.NamespaceReady, true, "Bound", $"namespace {ns} belongs to the project");
    }

    private async Task WriteStatusAsync(Project project, IReadOnlyList<ResourceCondition> wanted, CancellationToken ct)
    {
        var current = project.Status?.Conditions ?? [];
        var merged = new List<ResourceCondition>();
        var changed = project.Status?.ObservedGeneration != project.Metadata.Generation;
        foreach (var w in wanted)
        {
            var old = current.Find(w.Type);
            if (old is not null && old.Status == w.Status && old.Reason == w.Reason && old.Message == w.Message)
            {
                merged.Add(old);
                continue;
            }

            changed = true;
            w.LastTransitionTime = old is not null && old.Status == w.Status ? old.LastTransitionTime : clock.GetUtcNow().UtcDateTime;
            merged.Add(w);
        }

        merged.AddRange(current.Where(c => wanted.All(w => w.Type != c.Type)));
        if (!changed) return;
        var patch = new { status = new ProjectStatus { Conditions = merged, ObservedGeneration = project.Metadata.Generation } };
        await api.CustomObjects.PatchClusterCustomObjectStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch),
            Project.KubeGroup, Project.KubeApiVersion, Project.KubePluralName, project.Metadata.Name, cancellationToken: ct);
    }

    private static ResourceCondition Condition(string type, bool ok, string reason, string message) => new()
    {
        Type = type,
        Status = ok ? ConditionStatus.True : ConditionStatus.False,
        Reason = reason,
        Message = message,
    };
}

/// <summary>The pure checks on a Project's spec and its claim on a namespace.</summary>
internal static class ProjectChecks
{
    public sealed record Outcome(string? Reason, string? Problem);

    /// <param name="claimants">Every project whose namespace is the same as this one's (this one included).</param>
    public static Outcome Check(Project project, IReadOnlyList<Project> claimants)
    {
        var ns = project.EffectiveNamespace;
        if (!KubeNames.IsDnsLabel(ns))
            return new("InvalidNamespace", $"namespace \"{ns}\" is not a valid namespace name (lower-case letters, digits and '-', at most 63)");
        var gpus = project.Spec.Gpus;
        if (gpus.Quota < GpuQuantity.Zero)
            return new("InvalidQuota", $"gpus.quota ({gpus.Quota}) is negative");
        if (gpus.Limit is { } limit && limit < gpus.Quota)
            return new("LimitBelowQuota", $"gpus.limit ({limit}) is below gpus.quota ({gpus.Quota}): the guaranteed GPUs could never be used");
        if (gpus.OverQuotaWeight < 0)
            return new("InvalidOverQuotaWeight", $"gpus.overQuotaWeight ({gpus.OverQuotaWeight}) is negative");
        var owner = Project.OwnerAmong(claimants);
        if (owner is not null && owner.Metadata.Name != project.Metadata.Name)
            return new("NamespaceConflict", $"namespace {ns} already belongs to project {owner.Metadata.Name}");
        return new(null, null);
    }

}
