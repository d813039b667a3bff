using Runai.Core.Resources;

namespace Runai.Core.Workloads;

/// <summary>
/// A workload's GPU shape from its spec (SPEC §2): how many pods form its gang, what each asks, what the
/// gang and the whole spec ask. One place, so the scheduler's pod groups and the <c>runai-*</c>
/// annotations agree.
/// </summary>
/// <param name="MinMember">Pods that must be placed together.</param>
/// <param name="PodsInSpec">Pods the spec asks for in all (launcher included).</param>
/// <param name="GangGpus">GPUs of the gang (<c>runai-podgroup-requested-gpus</c>).</param>
/// <param name="TotalGpus">GPUs the whole spec asks for (<c>runai-total-requested-gpus</c>).</param>
/// <param name="GangGpuMemoryMiB">MiB asked through GPU-memory requests by the gang; 0 for whole GPUs.</param>
/// <param name="LauncherInGang">For MPIJobs: whether the launcher is a gang member (AtStartup).</param>
public sealed record WorkloadGang(int MinMember, int PodsInSpec, GpuQuantity GangGpus, GpuQuantity TotalGpus, long GangGpuMemoryMiB, bool LauncherInGang)
{
    /// <summary>The gang of a Run:ai workload kind.</summary>
    public static WorkloadGang For(IRunaiWorkload workload)
    {
        var spec = workload.CommonSpec;
        var perPod = spec.GpuMemoryMiB is > 0 ? GpuQuantity.Zero : spec.Gpus ?? GpuQuantity.Zero;
        var memPerPod = spec.GpuMemoryMiB is > 0 ? spec.GpuMemoryMiB.Value : 0L;
        switch (workload)
        {
            case TrainingWorkload t:
                var workers = Math.Max(1, t.Spec.Workers);
                return new WorkloadGang(workers, workers, perPod * workers, perPod * workers, memPerPod * workers, false);
            case InferenceWorkload i:
                // Replicas are placed one by one (each serves on its own); the group holds them all.
                var replicas = Math.Max(0, i.Spec.Replicas);
                return new WorkloadGang(Math.Min(1, replicas), replicas, perPod * replicas, perPod * replicas, memPerPod * replicas, false);
            default:
                return new WorkloadGang(1, 1, perPod, perPod, memPerPod, false);
        }
    }

    /// <summary>
    /// The gang of an MPIJob: the workers with <c>WaitForWorkersReady</c>, launcher and workers with
    /// <c>AtStartup</c>, unless <c>runPolicy.schedulingPolicy.minAvailable</c> says otherwise. Per-pod GPUs
    /// come from the replica templates (a <c>slotsPerWorker</c> that disagrees with the worker's request is
    /// a spec error workload-controller reports); total = workers × the worker's GPUs + the launcher's own.
    /// </summary>
    public static WorkloadGang For(MpiJob job)
    {
        var workers = Math.Max(0, job.Worker?.Replicas ?? 1);
        var hasLauncher = job.Launcher is not null;
        var workerPod = job.Worker is { } w ? PodGpus.Of(w.Template.Metadata, w.Template.Spec) : PodGpuRequest.None;
        var launcherPod = job.Launcher is { } l ? PodGpus.Of(l.Template.Metadata, l.Template.Spec) : PodGpuRequest.None;
        var workerGpus = workerPod.IsNone ? GpuQuantity.Zero : workerPod.Gpus;
        var launcherInGang = hasLauncher && job.Spec.EffectiveLauncherCreationPolicy == LauncherCreationPolicy.AtStartup;
        var members = workers + (launcherInGang ? 1 : 0);
        var min = job.Spec.RunPolicy?.SchedulingPolicy?.MinAvailable is int m && m > 0 ? Math.Min(m, workers + (hasLauncher ? 1 : 0)) : members;
        var gangGpus = workerGpus * workers + (launcherInGang ? launcherPod.Gpus : GpuQuantity.Zero);
        var total = workerGpus * workers + launcherPod.Gpus;
        var gangMem = (workerPod.MemoryMiB ?? 0) * workers + (launcherInGang ? launcherPod.MemoryMiB ?? 0 : 0);
        return new WorkloadGang(min, workers + (hasLauncher ? 1 : 0), gangGpus, total, gangMem, launcherInGang);
    }
}
