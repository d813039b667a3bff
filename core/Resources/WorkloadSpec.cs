using System.Text.Json.Serialization;
using k8s.Models;

namespace Runai.Core.Resources;

/// <summary>The spec fields all four Run:ai workload kinds share (SPEC §2).</summary>
public class WorkloadSpec
{
    [JsonPropertyName("image")]
    public string Image { get; set; } = "";

    /// <summary>Replaces the image's entrypoint.</summary>
    [JsonPropertyName("command")]
    public List<string>? Command { get; set; }

    [JsonPropertyName("args")]
    public List<string>? Args { get; set; }

    [JsonPropertyName("env")]
    public List<WorkloadEnvVar>? Env { get; set; }

    /// <summary>GPUs per pod; 0.5 is half a device. Null when the workload asks for none or uses <see cref="GpuMemoryMiB"/>.</summary>
    [JsonPropertyName("gpus")]
    public GpuQuantity? Gpus { get; set; }

    /// <summary>GPU memory per pod in MiB: a fraction of one device sized by memory instead of <see cref="Gpus"/>.</summary>
    [JsonPropertyName("gpuMemoryMiB")]
    public long? GpuMemoryMiB { get; set; }

    /// <summary>CPU per pod as a Kubernetes quantity (<c>500m</c>, <c>4</c>).</summary>
    [JsonPropertyName("cpu")]
    public ResourceQuantity? Cpu { get; set; }

    /// <summary>Memory per pod as a Kubernetes quantity (<c>16Gi</c>).</summary>
    [JsonPropertyName("memory")]
    public ResourceQuantity? Memory { get; set; }

    /// <summary><c>train</c>, <c>build</c>, <c>inference</c> (see <see cref="PriorityClasses"/>) or any PriorityClass.</summary>
    [JsonPropertyName("priorityClassName")]
    public string? PriorityClassName { get; set; }

    /// <summary>Node pools to try, in order; empty means the project's.</summary>
    [JsonPropertyName("nodePools")]
    public List<string>? NodePools { get; set; }

    [JsonPropertyName("placement")]
    public Placement Placement { get; set; } = Placement.Binpack;

    /// <summary>Put the workload's pods on distinct nodes (required anti-affinity).</summary>
    [JsonPropertyName("antiAffinity")]
    public bool AntiAffinity { get; set; }

    /// <summary>Retries before the workload is Failed; null means the controller's default.</summary>
    [JsonPropertyName("backoffLimit")]
    public int? BackoffLimit { get; set; }

    /// <summary>True stops the workload's pods and keeps the object (status Stopped).</summary>
    [JsonPropertyName("suspend")]
    public bool Suspend { get; set; }
}

public sealed class WorkloadEnvVar
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("value")]
    public string? Value { get; set; }
}

/// <summary>How the scheduler spreads a workload's pods over nodes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Placement>))]
public enum Placement
{
    /// <summary>Fill the fullest nodes first, keeping whole nodes free (the default).</summary>
    [JsonStringEnumMemberName("binpack")] Binpack,
    /// <summary>Prefer the emptiest nodes.</summary>
    [JsonStringEnumMemberName("spread")] Spread,
}

public sealed class RunaiJobSpec : WorkloadSpec
{
    /// <summary>What the Job does with a failed container.</summary>
    [JsonPropertyName("restartPolicy")]
    public JobRestartPolicy RestartPolicy { get; set; } = JobRestartPolicy.Never;
}

[JsonConverter(typeof(JsonStringEnumConverter<JobRestartPolicy>))]
public enum JobRestartPolicy
{
    [JsonStringEnumMemberName("Never")] Never,
    [JsonStringEnumMemberName("OnFailure")] OnFailure,
}

public sealed class TrainingWorkloadSpec : WorkloadSpec
{
    /// <summary>Pods in the gang, each with the per-pod resources above.</summary>
    [JsonPropertyName("workers")]
    public int Workers { get; set; } = 1;
}

public sealed class InferenceWorkloadSpec : WorkloadSpec
{
    [JsonPropertyName("replicas")]
    public int Replicas { get; set; } = 1;

    /// <summary>Container port the Service exposes.</summary>
    [JsonPropertyName("port")]
    public int? Port { get; set; }
}

public sealed class InteractiveWorkloadSpec : WorkloadSpec
{
    /// <summary>Container port of the notebook/IDE the Service exposes.</summary>
    [JsonPropertyName("port")]
    public int? Port { get; set; }

    /// <summary>A volume for the user's work; null means none.</summary>
    [JsonPropertyName("pvc")]
    public WorkloadVolume? Pvc { get; set; }
}

/// <summary>A persistent volume an interactive workload mounts: an existing claim, or one created for it.</summary>
public sealed class WorkloadVolume
{
    /// <summary>An existing claim to mount; when absent the controller creates <c>&lt;workload&gt;-pvc</c>.</summary>
    [JsonPropertyName("claimName")]
    public string? ClaimName { get; set; }

    /// <summary>Size of the claim the controller creates.</summary>
    [JsonPropertyName("size")]
    public ResourceQuantity? Size { get; set; }

    [JsonPropertyName("storageClassName")]
    public string? StorageClassName { get; set; }

    [JsonPropertyName("mountPath")]
    public string MountPath { get; set; } = DefaultMountPath;

    public const string DefaultMountPath = "/workspace";
}
