using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Sim.Kubelet;

namespace Runai.Sim.Operators;

/// <summary>Something the MPI operator does for one MPIJob.</summary>
internal abstract record MpiAction;

internal sealed record CreatePod(V1Pod Pod) : MpiAction;

internal sealed record DeletePod(string Name, string Why) : MpiAction;

/// <summary>Writes the MPIJob's status (through <c>/status</c>).</summary>
internal sealed record UpdateStatus(MpiJobStatus Status) : MpiAction;

/// <summary>
/// The Kubeflow MPI operator's (v2beta1) decision for one MPIJob as a pure function of the job and the pods it
/// controls: create the workers <c>&lt;job&gt;-worker-i</c> and the launcher <c>&lt;job&gt;-launcher</c> per
/// <c>launcherCreationPolicy</c>, suspend and resume, count launcher failures against <c>backoffLimit</c>, set
/// the Created/Running/Succeeded/Failed/Suspended conditions and replica counts, and clean pods up per
/// <c>cleanPodPolicy</c> when the job ends. Unlike the real operator the launcher is a Pod, not a batch Job,
/// and no hostfile ConfigMap, SSH Secret or headless Service is made: nothing in the simulation reads them.
/// </summary>
internal static class MpiJobReconciler
{
    public const int DefaultBackoffLimit = 6;
    public const string LauncherDefaultRestartPolicy = MpiRestartPolicies.OnFailure;
    public const string WorkerDefaultRestartPolicy = MpiRestartPolicies.Never;

    public static string LauncherName(string job) => job + "-launcher";
    public static string WorkerName(string job, int index) => $"{job}-worker-{index}";

    public static IReadOnlyList<MpiAction> Plan(MpiJob job, IReadOnlyList<V1Pod> pods, DateTimeOffset now)
    {
        var name = job.Metadata?.Name ?? throw new ArgumentException("the MPIJob has no metadata.name", nameof(job));
        var ns = job.Metadata.NamespaceProperty ?? "default";
        var stamp = PodLifecycle.Second(now).UtcDateTime;
        var old = job.Status;
        var status = Clone(old) ?? new MpiJobStatus();
        status.Conditions ??= [];
        status.LastReconcileTime = old?.LastReconcileTime;
        var actions = new List<MpiAction>();

        var live = pods.Where(p => p.Metadata?.DeletionTimestamp is null).ToList();
        var launcher = live.FirstOrDefault(p => p.Metadata?.Name == LauncherName(name));
        var workerCount = Math.Max(0, job.Worker?.Replicas ?? 0);
        var workers = live.Where(p => Role(p) == KubeflowLabels.RoleWorker).ToList();

        SetCondition(status, MpiJobConditionTypes.Created, true, "MPIJobCreated", $"MPIJob {ns}/{name} is created.", stamp, onlyIfAbsent: true);

        var finished = status.HasTrueCondition(MpiJobConditionTypes.Succeeded) || status.HasTrueCondition(MpiJobConditionTypes.Failed);
        var launcherFailed = status.ReplicaStatuses?.GetValueOrDefault(MpiReplicaTypes.Launcher)?.Failed ?? 0;

        if (job.Launcher is null)
        {
            if (!finished)
            {
                Finish(status, MpiJobConditionTypes.Failed, "MPIJobFailed", $"MPIJob {ns}/{name} is invalid: spec.mpiReplicaSpecs.Launcher is required", stamp);
            }
        }
        else if (finished)
        {
            actions.AddRange(CleanUp(job, live));
        }
        else if (job.Spec.RunPolicy?.Suspend == true)
        {
            foreach (var pod in live) actions.Add(new DeletePod(pod.Name(), "suspended"));
            live.Clear();
            launcher = null;
            workers.Clear();
            SetCondition(status, MpiJobConditionTypes.Suspended, true, "MPIJobSuspended", $"MPIJob {ns}/{name} is suspended.", stamp);
            if (status.HasTrueCondition(MpiJobConditionTypes.Running))
            {
                SetCondition(status, MpiJobConditionTypes.Running, false, "MPIJobSuspended", $"MPIJob {ns}/{name} is suspended.", stamp);
            }
        }
        else
        {
            if (status.HasTrueCondition(MpiJobConditionTypes.Suspended))
            {
                SetCondition(status, MpiJobConditionTypes.Suspended, false, "MPIJobResumed", $"MPIJob {ns}/{name} is resumed.", stamp);
                status.StartTime = stamp;
            }
            status.StartTime ??= stamp;

            for (var i = 0; i < workerCount; i++)
            {
                if (workers.All(w => w.Name() != WorkerName(name, i)))
                {
                    actions.Add(new CreatePod(BuildPod(job, job.Worker!, KubeflowLabels.RoleWorker, i)));
                }
            }

            var backoffLimit = job.Spec.RunPolicy?.BackoffLimit ?? DefaultBackoffLimit;
            if (launcher is null)
            {
                var policy = job.Spec.EffectiveLauncherCreationPolicy;
                if (policy == LauncherCreationPolicy.AtStartup || AllWorkersReady(name, workers, workerCount))
                {
                    actions.Add(new CreatePod(BuildPod(job, job.Launcher, KubeflowLabels.RoleLauncher, null)));
                }
            }
            else if (launcher.Status?.Phase == "Succeeded")
            {
                Finish(status, MpiJobConditionTypes.Succeeded, "MPIJobSucceeded", $"MPIJob {ns}/{name} successfully completed.", stamp);
                actions.AddRange(CleanUp(job, live));
            }
            else if (launcher.Status?.Phase == "Failed")
            {
                // A launcher pod that failed for good: one failure; recreate it while the back-off limit allows.
                launcherFailed++;
                if (launcherFailed > backoffLimit)
                {
                    Finish(status, MpiJobConditionTypes.Failed, "MPIJobFailed",
                        $"MPIJob {ns}/{name} has failed: the launcher failed {launcherFailed} time(s), more than backoffLimit {backoffLimit}.", stamp);
                    actions.AddRange(CleanUp(job, live));
                }
                else
                {
                    actions.Add(new DeletePod(launcher.Name(), "launcher failed; recreating it"));
                    launcher = null;
                }
            }
            else
            {
                // A launcher restarted in place (restartPolicy OnFailure) spends the same back-off budget.
                var inPlace = InPlaceFailures(launcher);
                if (launcherFailed + inPlace > backoffLimit)
                {
                    launcherFailed += inPlace;
                    Finish(status, MpiJobConditionTypes.Failed, "MPIJobFailed",
                        $"MPIJob {ns}/{name} has failed: the launcher failed {launcherFailed} time(s), more than backoffLimit {backoffLimit}.", stamp);
                    actions.Add(new DeletePod(launcher.Name(), "launcher exceeded backoffLimit"));
                    actions.AddRange(CleanUp(job, live).Where(d => ((DeletePod)d).Name != launcher.Name()));
                    launcher = null;
                }
                else if (launcher.Status?.Phase == "Running" && IsReady(launcher))
                {
                    SetCondition(status, MpiJobConditionTypes.Running, true, "MPIJobRunning", $"MPIJob {ns}/{name} is running.", stamp);
                }
            }
        }

        var deleted = actions.OfType<DeletePod>().Select(d => d.Name).ToHashSet();
        status.ReplicaStatuses = new Dictionary<string, MpiReplicaStatus>
        {
            [MpiReplicaTypes.Launcher] = Count(live.Where(p => Role(p) == KubeflowLabels.RoleLauncher), deleted, failedOverride: launcherFailed),
            [MpiReplicaTypes.Worker] = Count(live.Where(p => Role(p) == KubeflowLabels.RoleWorker), deleted, failedOverride: null),
        };
        if (!Same(old, status)) actions.Insert(0, new UpdateStatus(status));
        return actions;
    }

    /// <summary>Builds a pod from a replica template, owned by the job, with the operator's labels.</summary>
    public static V1Pod BuildPod(MpiJob job, MpiReplicaSpec replica, string role, int? index)
    {
        var jobName = job.Metadata.Name;
        var template = KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(replica.Template ?? new V1PodTemplateSpec()));
        var spec = template.Spec ?? new V1PodSpec { Containers = [] };
        var podName = index is { } i ? WorkerName(jobName, i) : LauncherName(jobName);
        var labels = new Dictionary<string, string>(template.Metadata?.Labels ?? new Dictionary<string, string>())
        {
            [KubeflowLabels.JobName] = jobName,
            [KubeflowLabels.JobRole] = role,
            [KubeflowLabels.OperatorName] = KubeflowLabels.MpiOperator,
        };
        if (index is { } replicaIndex) labels[KubeflowLabels.ReplicaIndex] = replicaIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var restart = replica.RestartPolicy ?? spec.RestartPolicy ?? (role == KubeflowLabels.RoleLauncher ? LauncherDefaultRestartPolicy : WorkerDefaultRestartPolicy);
        // ExitCode is the operator's own policy (retry on some exit codes); pods only know Never for it.
        spec.RestartPolicy = restart == MpiRestartPolicies.ExitCode ? MpiRestartPolicies.Never : restart;
        if (index is not null)
        {
            spec.Hostname = podName;
            spec.Subdomain = jobName;
        }

        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = podName,
                NamespaceProperty = job.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = template.Metadata?.Annotations is { } a ? new Dictionary<string, string>(a) : null,
                OwnerReferences =
                [
                    new V1OwnerReference
                    {
                        ApiVersion = MpiJob.KubeGroupVersion,
                        Kind = MpiJob.KubeKind,
                        Name = jobName,
                        Uid = job.Metadata.Uid,
                        Controller = true,
                        BlockOwnerDeletion = true,
                    },
                ],
            },
            Spec = spec,
        };
    }

    private static string? Role(V1Pod pod) => pod.Metadata?.Labels?.TryGetValue(KubeflowLabels.JobRole, out var role) == true ? role : null;

    private static bool IsReady(V1Pod pod) => pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    private static bool AllWorkersReady(string job, List<V1Pod> workers, int count) =>
        Enumerable.Range(0, count).All(i => workers.FirstOrDefault(w => w.Name() == WorkerName(job, i)) is { } w && w.Status?.Phase == "Running" && IsReady(w));

    /// <summary>Failures of a launcher the kubelet restarts in place: its restarts, plus the crash it is backing off from.</summary>
    private static int InPlaceFailures(V1Pod launcher)
    {
        var statuses = launcher.Status?.ContainerStatuses ?? [];
        return statuses.Select(s => s.RestartCount + (s.State?.Waiting?.Reason == PodLifecycle.CrashLoopBackOff ? 1 : 0)).DefaultIfEmpty(0).Max();
    }

    private static IEnumerable<MpiAction> CleanUp(MpiJob job, List<V1Pod> live)
    {
        var policy = job.Spec.RunPolicy?.CleanPodPolicy ?? CleanPodPolicy.None;
        return policy switch
        {
            CleanPodPolicy.All => live.Select(p => new DeletePod(p.Name(), "cleanPodPolicy All")),
            CleanPodPolicy.Running => live.Where(p => !PodLifecycle.IsTerminal(p.Status?.Phase)).Select(p => new DeletePod(p.Name(), "cleanPodPolicy Running")),
            _ => [],
        };
    }

    private static MpiReplicaStatus Count(IEnumerable<V1Pod> pods, HashSet<string> deleted, int? failedOverride)
    {
        var list = pods.Where(p => !deleted.Contains(p.Name()) || PodLifecycle.IsTerminal(p.Status?.Phase)).ToList();
        return new MpiReplicaStatus
        {
            Active = list.Count(p => !deleted.Contains(p.Name()) && !PodLifecycle.IsTerminal(p.Status?.Phase)),
            Succeeded = list.Count(p => p.Status?.Phase == "Succeeded"),
            Failed = failedOverride ?? list.Count(p => p.Status?.Phase == "Failed"),
        };
    }

    private static void Finish(MpiJobStatus status, string type, string reason, string message, DateTime stamp)
    {
        SetCondition(status, type, true, reason, message, stamp);
        // As the real operator does: a finished job is no longer Running (the condition keeps its reason).
        var running = status.Conditions!.FirstOrDefault(c => c.Type == MpiJobConditionTypes.Running);
        if (running is { Status: ConditionStatus.True })
        {
            running.Status = ConditionStatus.False;
            running.LastUpdateTime = stamp;
            running.LastTransitionTime = stamp;
        }
        status.CompletionTime ??= stamp;
    }

    private static void SetCondition(MpiJobStatus status, string type, bool value, string reason, string message, DateTime stamp, bool onlyIfAbsent = false)
    {
        var conditions = status.Conditions!;
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        var text = value ? ConditionStatus.True : ConditionStatus.False;
        if (existing is not null)
        {
            if (onlyIfAbsent || (existing.Status == text && existing.Reason == reason)) return;
            var transitioned = existing.Status != text;
            existing.Status = text;
            existing.Reason = reason;
            existing.Message = message;
            existing.LastUpdateTime = stamp;
            if (transitioned) existing.LastTransitionTime = stamp;
            return;
        }
        conditions.Add(new MpiJobCondition { Type = type, Status = text, Reason = reason, Message = message, LastUpdateTime = stamp, LastTransitionTime = stamp });
    }

    private static MpiJobStatus? Clone(MpiJobStatus? status) =>
        status is null ? null : KubernetesJson.Deserialize<MpiJobStatus>(KubernetesJson.Serialize(status));

    private static bool Same(MpiJobStatus? a, MpiJobStatus b) =>
        a is not null && KubernetesJson.Serialize(a) == KubernetesJson.Serialize(b);
}
