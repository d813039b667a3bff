using System.Globalization;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Workloads;

namespace Runai.Controllers.Workloads;

/// <summary>
/// What is wrong with a workload's spec, each problem one sentence naming the field and the value, so the status
/// condition and the Event say exactly what to fix. Pure; an empty list means the spec can run.
/// </summary>
internal static class WorkloadSpecCheck
{
    // Names of objects made from a workload's name end up as label values and DNS labels: at most KubeNames.MaxDnsLabel.
    public static IReadOnlyList<string> Problems(IRunaiWorkload workload, bool namespaceHasProject)
    {
        var problems = new List<string>();
        var spec = workload.CommonSpec;
        var name = workload.Metadata.Name ?? "";
        var ns = workload.Metadata.NamespaceProperty ?? "";
        if (!namespaceHasProject)
            problems.Add($"namespace {ns} belongs to no project: create a Project with spec.namespace: {ns}, or submit the workload in a project's namespace");
        if (spec.Gpus is { } gpus && gpus.IsFractional && gpus.Value > 1m)
            problems.Add($"spec.gpus {gpus} is a fraction above 1: ask for whole GPUs, or a fraction of one GPU (at most 1)");
        if (spec.Gpus is { IsZero: false } && spec.GpuMemoryMiB is > 0)
            problems.Add($"spec.gpus and spec.gpuMemoryMiB are both set: ask for GPUs or for GPU memory, not both");
        if (spec.GpuMemoryMiB is < 0)
            problems.Add($"spec.gpuMemoryMiB {spec.GpuMemoryMiB} is negative");
        if (spec.BackoffLimit is < 0)
            problems.Add($"spec.backoffLimit {spec.BackoffLimit} is negative");
        var longest = LongestDerivedName(workload);
        if (longest.Length > KubeNames.MaxDnsLabel)
            problems.Add($"name {name} is {name.Length} characters: the {longest.What} \"{longest.Name}\" made from it would have {longest.Length}, more than the {KubeNames.MaxDnsLabel} a label value or DNS name may have");
        return problems;
    }

    /// <summary>
    /// What is wrong with an MPIJob for Run:ai's GPU accounting: a malformed or negative GPU request in a replica
    /// template, or <c>slotsPerWorker</c> that disagrees with the worker's <c>nvidia.com/gpu</c> request.
    /// </summary>
    public static IReadOnlyList<string> Problems(MpiJob job)
    {
        var problems = new List<string>();
        foreach (var (type, replica) in job.Spec.MpiReplicaSpecs.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var template = replica.Template;
            if (PodGpus.Validate(template.Metadata) is { } annotationProblem)
                problems.Add($"spec.mpiReplicaSpecs.{type}.template: {annotationProblem}");
            foreach (var container in template.Spec?.Containers ?? [])
            {
                foreach (var (field, list) in new[] { ("requests", container.Resources?.Requests), ("limits", container.Resources?.Limits) })
                {
                    if (list is null || !list.TryGetValue(GpuLabels.ResourceName, out var q)) continue;
                    if (!TryWholeGpus(q, out var devices))
                        problems.Add($"spec.mpiReplicaSpecs.{type} container {container.Name}: {field} {GpuLabels.ResourceName} \"{q}\" is not a whole, non-negative number of GPUs");
                    else if (devices < 0)
                        problems.Add($"spec.mpiReplicaSpecs.{type} container {container.Name}: {field} {GpuLabels.ResourceName} {devices} is negative");
                }
            }
        }

        if (job.Worker is { } worker && job.Spec.SlotsPerWorker is { } slots)
        {
            var perWorker = PodGpus.WholeDevices(worker.Template.Spec);
            if (perWorker > 0 && perWorker != slots)
                problems.Add($"spec.slotsPerWorker {slots} disagrees with the worker's {GpuLabels.ResourceName} request {perWorker}: each MPI slot is one GPU, so set them equal");
        }

        return problems;
    }

    private static bool TryWholeGpus(ResourceQuantity quantity, out long devices)
    {
        devices = 0;
        var text = quantity.ToString();
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out devices)) return true;
        try
        {
            var value = quantity.ToDecimal();
            if (decimal.Truncate(value) != value) return false;
            devices = (long)value;
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return false;
        }
    }

    private static (string What, string Name, int Length) LongestDerivedName(IRunaiWorkload workload)
    {
        var name = workload.Metadata.Name ?? "";
        if (workload is TrainingWorkload t)
        {
            var last = WorkloadObjects.WorkerName(name, Math.Max(1, t.Spec.Workers) - 1);
            if (last.Length > name.Length) return ("worker pod hostname", last, last.Length);
        }

        return ("runai/workload-name label and Service", name, name.Length);
    }
}
