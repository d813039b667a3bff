using Microsoft.Extensions.Logging;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Runtime;
using Runai.Core.Workloads;

namespace Runai.Controllers.Workloads;

/// <summary>
/// Keeps the <c>runai-*</c> annotations (SPEC §3) true on Kubeflow MPIJobs. The MPI operator owns the job and its
/// pods; this only reads them (and their nodes and pod group) and writes the annotations when a value moved.
/// </summary>
/// <remarks>
/// A spec the GPU accounting cannot trust (a malformed GPU request, <c>slotsPerWorker</c> disagreeing with the worker's
/// request) gets a Warning Event <c>InvalidSpec</c> naming the problem: the job's status belongs to the MPI operator.
/// </remarks>
internal sealed class MpiJobAnnotator(WorkloadIndex index, AnnotationWriter writer, EventRecorder events, ILogger log) : IReconciler<MpiJob>
{
    public async Task<ReconcileResult> ReconcileAsync(MpiJob job, CancellationToken ct)
    {
        var problems = WorkloadSpecCheck.Problems(job);
        if (problems.Count > 0)
            await events.RecordAsync(job, EventRecorder.Warning, "InvalidSpec", string.Join("; ", problems), ct, once: true).ConfigureAwait(false);
        else
            events.Clear(job, "InvalidSpec");

        var workload = new WorkloadRef(MpiJob.KubeKind, job.Metadata.NamespaceProperty ?? "", job.Metadata.Name);
        var observation = WorkloadObservation.For(job, index.PodsOf(workload), index.NodeGpuMemoryMiB, index.PodGroupOf(workload));
        var state = WorkloadState.Of(observation);
        var changes = state.ChangesFrom(job.Metadata.Annotations);
        if (changes.Count == 0) return ReconcileResult.Done;
        await writer.WriteAsync(WorkloadKinds.MpiJob, workload.Namespace, workload.Name, changes, ct).ConfigureAwait(false);
        if (changes.TryGetValue(RunaiAnnotations.CalculatedStatus, out var status))
            log.LogInformation("{Workload} is {Status}", workload, status);
        return ReconcileResult.Done;
    }

    public Task DeletedAsync(MpiJob entity, CancellationToken ct) => Task.CompletedTask;
}
