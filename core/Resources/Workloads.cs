using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Runai.Core.Resources;

/// <summary>What code that handles any of the four Run:ai workload kinds alike needs.</summary>
public interface IRunaiWorkload : IKubernetesObject<V1ObjectMeta>
{
    WorkloadSpec CommonSpec { get; }
    RunaiWorkloadStatus? Status { get; set; }
    WorkloadKindInfo KindInfo { get; }
}

/// <summary>A Run:ai workload of group run.ai/v2alpha1; the kinds differ only in their spec.</summary>
public abstract class RunaiWorkload<TSpec> : IRunaiWorkload, ISpec<TSpec>, IStatus<RunaiWorkloadStatus?>
    where TSpec : WorkloadSpec, new()
{
    public const string KubeGroup = WorkloadKinds.RunaiGroup;
    public const string KubeApiVersion = WorkloadKinds.RunaiVersion;
    public const string KubeGroupVersion = KubeGroup + "/" + KubeApiVersion;

    protected RunaiWorkload(WorkloadKindInfo kind)
    {
        KindInfo = kind;
        ApiVersion = kind.ApiVersion;
        Kind = kind.Kind;
    }

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public string Kind { get; set; }

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public TSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public RunaiWorkloadStatus? Status { get; set; }

    [JsonIgnore]
    public WorkloadSpec CommonSpec => Spec;

    [JsonIgnore]
    public WorkloadKindInfo KindInfo { get; }
}

/// <summary>One pod run to completion as a batch Job.</summary>
[KubernetesEntity(Group = KubeGroup, Kind = KubeKind, ApiVersion = KubeApiVersion, PluralName = KubePluralName)]
public sealed class RunaiJob() : RunaiWorkload<RunaiJobSpec>(WorkloadKinds.RunaiJob)
{
    public const string KubeKind = "RunaiJob";
    public const string KubePluralName = "runaijobs";
}

/// <summary>N worker pods gang-scheduled across nodes, with a headless Service.</summary>
[KubernetesEntity(Group = KubeGroup, Kind = KubeKind, ApiVersion = KubeApiVersion, PluralName = KubePluralName)]
public sealed class TrainingWorkload() : RunaiWorkload<TrainingWorkloadSpec>(WorkloadKinds.TrainingWorkload)
{
    public const string KubeKind = "TrainingWorkload";
    public const string KubePluralName = "trainingworkloads";
}

/// <summary>A Deployment serving a model, with a Service.</summary>
[KubernetesEntity(Group = KubeGroup, Kind = KubeKind, ApiVersion = KubeApiVersion, PluralName = KubePluralName)]
public sealed class InferenceWorkload() : RunaiWorkload<InferenceWorkloadSpec>(WorkloadKinds.InferenceWorkload)
{
    public const string KubeKind = "InferenceWorkload";
    public const string KubePluralName = "inferenceworkloads";
}

/// <summary>One notebook/IDE pod with a Service and an optional volume.</summary>
[KubernetesEntity(Group = KubeGroup, Kind = KubeKind, ApiVersion = KubeApiVersion, PluralName = KubePluralName)]
public sealed class InteractiveWorkload() : RunaiWorkload<InteractiveWorkloadSpec>(WorkloadKinds.InteractiveWorkload)
{
    public const string KubeKind = "InteractiveWorkload";
    public const string KubePluralName = "interactiveworkloads";
}

/// <summary>The status subresource of every Run:ai workload kind.</summary>
public sealed class RunaiWorkloadStatus
{
    /// <summary>One of <see cref="WorkloadStatus"/>; mirrors the <c>runai-calculated-status</c> annotation.</summary>
    [JsonPropertyName("phase")]
    public string? Phase { get; set; }

    [JsonPropertyName("conditions")]
    public List<ResourceCondition>? Conditions { get; set; }

    /// <summary>The spec generation this status describes.</summary>
    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }

    /// <summary>When the first pod started running.</summary>
    [JsonPropertyName("startTime")]
    public DateTime? StartTime { get; set; }

    /// <summary>When the workload reached Completed or Failed.</summary>
    [JsonPropertyName("completionTime")]
    public DateTime? CompletionTime { get; set; }
}

/// <summary>Condition types on a Run:ai workload.</summary>
public static class WorkloadConditionTypes
{
    /// <summary>All of the gang is bound to nodes.</summary>
    public const string Scheduled = "Scheduled";
    public const string Running = "Running";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
    public const string Suspended = "Suspended";
    /// <summary>The spec can be run: False with reason <c>InvalidSpec</c> and a message naming each problem.</summary>
    public const string Valid = "Valid";
    /// <summary>workload-controller made the objects the workload needs: False with reason <c>Forbidden</c> when the API refused it.</summary>
    public const string Reconciled = "Reconciled";
}
