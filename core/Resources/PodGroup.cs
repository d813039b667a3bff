using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Runai.Core.Resources;

/// <summary>
/// A workload's gang as runai-scheduler sees it (namespaced, one per workload, created and kept by the
/// scheduler). Its status says whether the gang is placed and, while it waits, why: the condition
/// <see cref="PodGroupConditionTypes.Scheduled"/> is False with a <see cref="PendingReasons"/> code as
/// reason and a sentence with the numbers as message. workload-controller copies that into the
/// <c>runai-pending-reason</c> annotation.
/// </summary>
[KubernetesEntity(Group = KubeGroup, Kind = KubeKind, ApiVersion = KubeApiVersion, PluralName = KubePluralName)]
public sealed class PodGroup : IKubernetesObject<V1ObjectMeta>, ISpec<PodGroupSpec>, IStatus<PodGroupStatus?>
{
    public const string KubeGroup = "scheduling.run.ai";
    public const string KubeApiVersion = "v2alpha2";
    public const string KubeGroupVersion = KubeGroup + "/" + KubeApiVersion;
    public const string KubeKind = "PodGroup";
    public const string KubePluralName = "podgroups";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = KubeGroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public PodGroupSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public PodGroupStatus? Status { get; set; }

    /// <summary>
    /// The pod group name of a workload: <c>pg-&lt;workload&gt;-&lt;kind&gt;</c>, lower case, shortened with a
    /// hash when it would exceed the 253 characters an object name may have.
    /// </summary>
    public static string NameFor(string workloadKind, string workloadName)
    {
        var name = $"pg-{workloadName}-{workloadKind.ToLowerInvariant()}";
        if (name.Length <= 253) return name;
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..10];
        return $"{name[..(253 - 11)]}-{hash}";
    }
}

public sealed class PodGroupSpec
{
    /// <summary>Pods that must be placed together (the gang size).</summary>
    [JsonPropertyName("minMember")]
    public int MinMember { get; set; } = 1;

    /// <summary>The project (queue) the gang is charged to.</summary>
    [JsonPropertyName("queue")]
    public string? Queue { get; set; }

    [JsonPropertyName("priorityClassName")]
    public string? PriorityClassName { get; set; }

    /// <summary>GPUs of the whole gang ("4", "0.5").</summary>
    [JsonPropertyName("gpus")]
    public string? Gpus { get; set; }

    /// <summary>Whether the overseer may preempt the gang (from its priority class and the policy).</summary>
    [JsonPropertyName("preemptible")]
    public bool? Preemptible { get; set; }

    /// <summary>Node pools in preference order.</summary>
    [JsonPropertyName("nodePools")]
    public List<string>? NodePools { get; set; }

    /// <summary>The workload the gang belongs to.</summary>
    [JsonPropertyName("workload")]
    public PodGroupWorkloadRef Workload { get; set; } = new();
}

public sealed class PodGroupWorkloadRef
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("uid")]
    public string? Uid { get; set; }
}

public sealed class PodGroupStatus
{
    /// <summary><see cref="PodGroupPhases"/>.</summary>
    [JsonPropertyName("phase")]
    public string? Phase { get; set; }

    [JsonPropertyName("conditions")]
    public List<ResourceCondition>? Conditions { get; set; }

    /// <summary>1-based place among the project's waiting gangs; absent when placed.</summary>
    [JsonPropertyName("queuePosition")]
    public int? QueuePosition { get; set; }

    /// <summary>When the whole gang was first placed (queue time ends here).</summary>
    [JsonPropertyName("scheduledTime")]
    public DateTime? ScheduledTime { get; set; }

    /// <summary>Times the gang was evicted by the overseer.</summary>
    [JsonPropertyName("preemptions")]
    public int? Preemptions { get; set; }

    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }
}

public static class PodGroupPhases
{
    public const string Pending = "Pending";
    public const string Scheduled = "Scheduled";
    public const string Running = "Running";
    public const string Finished = "Finished";
}

public static class PodGroupConditionTypes
{
    /// <summary>True once the whole gang is bound; False with a pending-reason code and sentence while it waits.</summary>
    public const string Scheduled = "Scheduled";
    /// <summary>True with the preemptor in the message after the overseer evicted the gang.</summary>
    public const string Preempted = "Preempted";
}
