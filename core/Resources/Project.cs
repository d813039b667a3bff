using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Runai.Core.Resources;

/// <summary>
/// A Run:ai project (cluster-scoped): a GPU quota holder bound to one namespace.
/// Every workload in that namespace belongs to it.
/// </summary>
[KubernetesEntity(Group = KubeGroup, Kind = KubeKind, ApiVersion = KubeApiVersion, PluralName = KubePluralName)]
public sealed class Project : IKubernetesObject<V1ObjectMeta>, ISpec<ProjectSpec>, IStatus<ProjectStatus?>
{
    public const string KubeGroup = WorkloadKinds.RunaiGroup;
    public const string KubeApiVersion = WorkloadKinds.RunaiVersion;
    public const string KubeGroupVersion = KubeGroup + "/" + KubeApiVersion;
    public const string KubeKind = "Project";
    public const string KubePluralName = "projects";

    /// <summary>Namespace a project gets when its spec names none: <c>runai-&lt;name&gt;</c>.</summary>
    public const string DefaultNamespacePrefix = "runai-";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = KubeGroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public ProjectSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public ProjectStatus? Status { get; set; }

    /// <summary>The namespace this project owns: <c>spec.namespace</c>, else <c>runai-&lt;name&gt;</c>.</summary>
    [JsonIgnore]
    public string EffectiveNamespace =>
        string.IsNullOrEmpty(Spec.Namespace) ? DefaultNamespaceFor(Metadata.Name ?? "") : Spec.Namespace;

    public static string DefaultNamespaceFor(string projectName) => DefaultNamespacePrefix + projectName;

    /// <summary>
    /// Which of several projects naming the same namespace owns it: the oldest (then the first by name), so the
    /// answer does not flap. Null when there are none.
    /// </summary>
    public static Project? OwnerAmong(IEnumerable<Project> claimants) => claimants
        .OrderBy(p => p.Metadata.CreationTimestamp ?? DateTime.MaxValue)
        .ThenBy(p => p.Metadata.Name, StringComparer.Ordinal)
        .FirstOrDefault();
}

public sealed class ProjectSpec
{
    /// <summary>The project's namespace; absent means <c>runai-&lt;name&gt;</c> (see <see cref="Project.EffectiveNamespace"/>).</summary>
    [JsonPropertyName("namespace")]
    public string? Namespace { get; set; }

    [JsonPropertyName("gpus")]
    public ProjectGpus Gpus { get; set; } = new();

    /// <summary>Order in which projects get idle GPUs and keep them under reclaim; seed: Normal.</summary>
    [JsonPropertyName("priority")]
    public ProjectPriority Priority { get; set; } = ProjectPriority.Normal;

    /// <summary>Node pools the project's workloads may use, preferred first; empty means any.</summary>
    [JsonPropertyName("nodePools")]
    public List<string>? NodePools { get; set; }
}

public sealed class ProjectGpus
{
    /// <summary>Guaranteed GPUs: the project can always get these.</summary>
    [JsonPropertyName("quota")]
    public GpuQuantity Quota { get; set; }

    /// <summary>Most GPUs the project may hold, quota included; null means no cap.</summary>
    [JsonPropertyName("limit")]
    public GpuQuantity? Limit { get; set; }

    /// <summary>The project's share of idle GPUs beyond quota, relative to other projects' weights.</summary>
    [JsonPropertyName("overQuotaWeight")]
    public int OverQuotaWeight { get; set; } = 1;
}

/// <summary>A project's rank among projects (not a PriorityClass): higher ranks first for idle GPUs.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ProjectPriority>))]
public enum ProjectPriority
{
    [JsonStringEnumMemberName("VeryLow")] VeryLow = 0,
    [JsonStringEnumMemberName("Low")] Low = 1,
    [JsonStringEnumMemberName("Normal")] Normal = 2,
    [JsonStringEnumMemberName("High")] High = 3,
    [JsonStringEnumMemberName("VeryHigh")] VeryHigh = 4,
}

public sealed class ProjectStatus
{
    [JsonPropertyName("conditions")]
    public List<ResourceCondition>? Conditions { get; set; }

    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }
}

/// <summary>Condition types on a Project.</summary>
public static class ProjectConditionTypes
{
    /// <summary>The project's namespace exists and is bound to it.</summary>
    public const string NamespaceReady = "NamespaceReady";
    /// <summary>The spec is consistent (e.g. limit not below quota).</summary>
    public const string Valid = "Valid";
}
