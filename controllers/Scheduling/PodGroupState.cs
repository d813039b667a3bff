using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Scheduling;

namespace Runai.Controllers.Scheduling;

/// <summary>
/// The pod group a workload should have (pure): spec from the workload's gang, status from the cycle's outcome and
/// the pods bound. Conditions the scheduler does not own (Preempted, written by the overseer) and the preemption
/// count are carried over; a condition's transition time moves only when its status does.
/// </summary>
internal static class PodGroupState
{
    public const string ScheduledReason = "Scheduled";

    public static PodGroup Desired(WorkloadPods workload, WorkloadOutcome? outcome, int boundNow, PodGroup? existing, SchedulingPolicy policy, DateTime now)
    {
        var info = workload.Info ?? throw new ArgumentException("a pod group needs the workload object", nameof(workload));
        var r = info.Ref;
        var className = info.PriorityClassName ?? policy.DefaultPriorityClass;
        var priority = policy.PriorityOf(info.PriorityClassName, null);
        var group = new PodGroup
        {
            Metadata = new V1ObjectMeta
            {
                Name = PodGroup.NameFor(r.Kind, r.Name),
                NamespaceProperty = r.Namespace,
                Labels = new Dictionary<string, string>
                {
                    [RunaiLabels.WorkloadName] = r.Name,
                    [RunaiLabels.WorkloadKind] = r.Kind,
                },
                OwnerReferences = info.Uid is null ? null :
                [
                    new V1OwnerReference { ApiVersion = info.ApiVersion, Kind = r.Kind, Name = r.Name, Uid = info.Uid, Controller = true },
                ],
            },
            Spec = new PodGroupSpec
            {
                MinMember = info.MinMember,
                Queue = workload.Project,
                PriorityClassName = className,
                Gpus = info.GangGpus.ToString(),
                Preemptible = policy.IsPreemptible(info.PriorityClassName, priority),
                NodePools = info.NodePools.Count > 0 ? [.. info.NodePools] : null,
                Workload = new PodGroupWorkloadRef { ApiVersion = info.ApiVersion, Kind = r.Kind, Name = r.Name, Uid = info.Uid },
            },
        };
        if (workload.Project is not null) group.Metadata.Labels[RunaiLabels.Project] = workload.Project;

        var old = existing?.Status;
        var status = new PodGroupStatus { Preemptions = old?.Preemptions, ScheduledTime = old?.ScheduledTime, ObservedGeneration = existing?.Metadata?.Generation };
        ResourceCondition scheduled;
        if (outcome is { Placed: false })
        {
            status.Phase = PodGroupPhases.Pending;
            status.QueuePosition = outcome.QueuePosition;
            scheduled = new ResourceCondition { Type = PodGroupConditionTypes.Scheduled, Status = ConditionStatus.False, Reason = outcome.Reason, Message = outcome.Message };
        }
        else if (boundNow >= info.MinMember)
        {
            status.Phase = workload.Running >= info.MinMember ? PodGroupPhases.Running : PodGroupPhases.Scheduled;
            status.ScheduledTime ??= now;
            scheduled = new ResourceCondition
            {
                Type = PodGroupConditionTypes.Scheduled,
                Status = ConditionStatus.True,
                Reason = ScheduledReason,
                Message = $"all {info.MinMember} pods of the gang are bound",
            };
        }
        else
        {
            // Fewer pods than the gang and none waiting: they have not been created (again) yet.
            status.Phase = PodGroupPhases.Pending;
            scheduled = new ResourceCondition
            {
                Type = PodGroupConditionTypes.Scheduled,
                Status = ConditionStatus.False,
                Reason = PendingReasons.GangIncomplete,
                Message = PendingReasonText.GangIncomplete(boundNow + workload.Pending.Count, info.MinMember),
            };
        }

        var previous = old?.Conditions.Find(PodGroupConditionTypes.Scheduled);
        scheduled.LastTransitionTime = previous is not null && previous.Status == scheduled.Status ? previous.LastTransitionTime : now;
        status.Conditions = [scheduled, .. (old?.Conditions ?? []).Where(c => c.Type != PodGroupConditionTypes.Scheduled)];
        group.Status = status;
        return group;
    }

    /// <summary>True when the spec, labels or owner of <paramref name="existing"/> differ from <paramref name="desired"/>.</summary>
    public static bool SpecDiffers(PodGroup existing, PodGroup desired) =>
        Json(existing.Spec) != Json(desired.Spec)
        || desired.Metadata.Labels.Any(kv => existing.Metadata.Labels is null || !existing.Metadata.Labels.TryGetValue(kv.Key, out var v) || v != kv.Value)
        || (desired.Metadata.OwnerReferences is { Count: > 0 } && (existing.Metadata.OwnerReferences is not { Count: > 0 } owners || owners[0].Uid != desired.Metadata.OwnerReferences[0].Uid));

    public static bool StatusDiffers(PodGroup existing, PodGroup desired) => Json(existing.Status) != Json(desired.Status);

    private static string Json<T>(T value) => KubernetesJson.Serialize(value);

    /// <summary>The pending reason and message a pod group shows now, if it waits.</summary>
    public static (string? Reason, string? Message) Waiting(PodGroup? group) =>
        group?.Status?.Conditions.Find(PodGroupConditionTypes.Scheduled) is { Status: ConditionStatus.False } c ? (c.Reason, c.Message) : (null, null);

}
