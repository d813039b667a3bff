using k8s.Models;

namespace Runai.Core.Workloads;

/// <summary>What one pod asks of GPUs: whole devices, a fraction of one, or GPU memory on one.</summary>
public readonly record struct PodGpuRequest(GpuQuantity Gpus, long? MemoryMiB)
{
    public static readonly PodGpuRequest None = new(GpuQuantity.Zero, null);

    public bool IsNone => Gpus.IsZero && MemoryMiB is null;
    /// <summary>True when the pod shares a device (a fraction or a memory request).</summary>
    public bool IsShared => Gpus.IsFractional || MemoryMiB is not null;
}

/// <summary>Reads a pod's GPU request. One place, so the scheduler, the annotations and the exporter agree.</summary>
public static class PodGpus
{
    /// <summary>
    /// Whole GPUs from <c>nvidia.com/gpu</c> (requests, else limits; summed over containers, the larger of
    /// that and any init container), else the <c>gpu-fraction</c> annotation, else <c>gpu-memory</c> (MiB).
    /// A malformed annotation counts as no request; <see cref="Validate"/> names the problem.
    /// </summary>
    public static PodGpuRequest Of(V1Pod pod) => Of(pod.Metadata, pod.Spec);

    public static PodGpuRequest Of(V1ObjectMeta? meta, V1PodSpec? spec)
    {
        var whole = WholeDevices(spec);
        if (whole > 0) return new PodGpuRequest(GpuQuantity.FromDevices(whole), null);
        var annotations = meta?.Annotations;
        if (annotations is null) return PodGpuRequest.None;
        if (annotations.TryGetValue(RunaiExtraAnnotations.GpuFraction, out var fraction)
            && GpuQuantity.TryParse(fraction, out var f) && f > GpuQuantity.Zero && f.Value <= 1m)
            return new PodGpuRequest(f, null);
        if (annotations.TryGetValue(RunaiExtraAnnotations.GpuMemory, out var memory)
            && long.TryParse(memory, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mib) && mib > 0)
            return new PodGpuRequest(GpuQuantity.Zero, mib);
        return PodGpuRequest.None;
    }

    /// <summary>The problem with a pod's GPU annotations, or null when they are absent or well-formed.</summary>
    public static string? Validate(V1ObjectMeta? meta)
    {
        var annotations = meta?.Annotations;
        if (annotations is null) return null;
        if (annotations.TryGetValue(RunaiExtraAnnotations.GpuFraction, out var fraction))
        {
            if (!GpuQuantity.TryParse(fraction, out var f, out var error))
                return $"annotation {RunaiExtraAnnotations.GpuFraction}=\"{fraction}\" is not a GPU quantity: {error}";
            if (f <= GpuQuantity.Zero || f.Value > 1m)
                return $"annotation {RunaiExtraAnnotations.GpuFraction}=\"{fraction}\" must be above 0 and at most 1";
        }
        if (annotations.TryGetValue(RunaiExtraAnnotations.GpuMemory, out var memory)
            && !(long.TryParse(memory, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mib) && mib > 0))
            return $"annotation {RunaiExtraAnnotations.GpuMemory}=\"{memory}\" must be a positive whole number of MiB";
        return null;
    }

    /// <summary>Whole <c>nvidia.com/gpu</c> devices a pod spec requests.</summary>
    public static int WholeDevices(V1PodSpec? spec)
    {
        if (spec is null) return 0;
        var sum = 0;
        foreach (var c in spec.Containers ?? []) sum += Devices(c.Resources);
        var init = 0;
        foreach (var c in spec.InitContainers ?? []) init = Math.Max(init, Devices(c.Resources));
        return Math.Max(sum, init);
    }

    private static int Devices(V1ResourceRequirements? resources)
    {
        ResourceQuantity? q = null;
        if (resources?.Requests?.TryGetValue(GpuLabels.ResourceName, out var r) == true) q = r;
        else if (resources?.Limits?.TryGetValue(GpuLabels.ResourceName, out var l) == true) q = l;
        if (q is null) return 0;
        try { return (int)Math.Max(0, q.ToInt64()); }
        catch (FormatException) { return 0; }
        catch (OverflowException) { return 0; }
    }
}
