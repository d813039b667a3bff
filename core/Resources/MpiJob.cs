using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Runai.Core.Resources;

/// <summary>
/// Kubeflow's MPIJob (kubeflow.org/v2beta1): a launcher pod that runs <c>mpirun</c> over worker pods.
/// The MPI operator creates the pods; Run:ai schedules them as one gang and annotates the MPIJob.
/// </summary>
[KubernetesEntity(Group = KubeGroup, Kind = KubeKind, ApiVersion = KubeApiVersion, PluralName = KubePluralName)]
public sealed class MpiJob : IKubernetesObject<V1ObjectMeta>, ISpec<MpiJobSpec>, IStatus<MpiJobStatus?>
{
    public const string KubeGroup = WorkloadKinds.KubeflowGroup;
    public const string KubeApiVersion = WorkloadKinds.KubeflowVersion;
    public const string KubeGroupVersion = KubeGroup + "/" + KubeApiVersion;
    public const string KubeKind = "MPIJob";
    public const string KubePluralName = "mpijobs";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = KubeGroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public MpiJobSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public MpiJobStatus? Status { get; set; }

    [JsonIgnore]
    public MpiReplicaSpec? Launcher => Spec.MpiReplicaSpecs.GetValueOrDefault(MpiReplicaTypes.Launcher);

    [JsonIgnore]
    public MpiReplicaSpec? Worker => Spec.MpiReplicaSpecs.GetValueOrDefault(MpiReplicaTypes.Worker);
}

public sealed class MpiJobSpec
{
    /// <summary>MPI slots per worker pod; Run:ai reads it as GPUs per worker.</summary>
    [JsonPropertyName("slotsPerWorker")]
    public int? SlotsPerWorker { get; set; }

    /// <summary>The launcher also runs ranks (and then counts as a worker).</summary>
    [JsonPropertyName("runLauncherAsWorker")]
    public bool? RunLauncherAsWorker { get; set; }

    /// <summary>When the operator creates the launcher; null means <see cref="LauncherCreationPolicy.AtStartup"/>.</summary>
    [JsonPropertyName("launcherCreationPolicy")]
    public LauncherCreationPolicy? LauncherCreationPolicy { get; set; }

    [JsonPropertyName("sshAuthMountPath")]
    public string? SshAuthMountPath { get; set; }

    [JsonPropertyName("mpiImplementation")]
    public MpiImplementation? MpiImplementation { get; set; }

    /// <summary>Keyed by <see cref="MpiReplicaTypes.Launcher"/> and <see cref="MpiReplicaTypes.Worker"/>.</summary>
    [JsonPropertyName("mpiReplicaSpecs")]
    public Dictionary<string, MpiReplicaSpec> MpiReplicaSpecs { get; set; } = [];

    [JsonPropertyName("runPolicy")]
    public MpiRunPolicy? RunPolicy { get; set; }

    /// <summary>The defaults the MPI operator applies when fields are absent.</summary>
    public const int DefaultSlotsPerWorker = 1;
    public const string DefaultSshAuthMountPath = "/root/.ssh";

    [JsonIgnore]
    public int EffectiveSlotsPerWorker => SlotsPerWorker ?? DefaultSlotsPerWorker;

    [JsonIgnore]
    public LauncherCreationPolicy EffectiveLauncherCreationPolicy => LauncherCreationPolicy ?? Resources.LauncherCreationPolicy.AtStartup;
}

public static class MpiReplicaTypes
{
    public const string Launcher = "Launcher";
    public const string Worker = "Worker";
}

[JsonConverter(typeof(JsonStringEnumConverter<LauncherCreationPolicy>))]
public enum LauncherCreationPolicy
{
    /// <summary>Launcher created with the workers; the gang is launcher + workers.</summary>
    [JsonStringEnumMemberName("AtStartup")] AtStartup,
    /// <summary>Launcher created once all workers are ready; the gang is the workers.</summary>
    [JsonStringEnumMemberName("WaitForWorkersReady")] WaitForWorkersReady,
}

[JsonConverter(typeof(JsonStringEnumConverter<MpiImplementation>))]
public enum MpiImplementation
{
    [JsonStringEnumMemberName("OpenMPI")] OpenMpi,
    [JsonStringEnumMemberName("Intel")] Intel,
    [JsonStringEnumMemberName("MPICH")] Mpich,
}

public sealed class MpiReplicaSpec
{
    [JsonPropertyName("replicas")]
    public int? Replicas { get; set; }

    /// <summary><c>Always</c>, <c>OnFailure</c>, <c>Never</c> or <c>ExitCode</c>.</summary>
    [JsonPropertyName("restartPolicy")]
    public string? RestartPolicy { get; set; }

    [JsonPropertyName("template")]
    public V1PodTemplateSpec Template { get; set; } = new();
}

public static class MpiRestartPolicies
{
    public const string Always = "Always";
    public const string OnFailure = "OnFailure";
    public const string Never = "Never";
    public const string ExitCode = "ExitCode";

    public static readonly IReadOnlyList<string> All = [Always, OnFailure, Never, ExitCode];
}

public sealed class MpiRunPolicy
{
    [JsonPropertyName("cleanPodPolicy")]
    public CleanPodPolicy? CleanPodPolicy { get; set; }

    [JsonPropertyName("backoffLimit")]
    public int? BackoffLimit { get; set; }

    [JsonPropertyName("suspend")]
    public bool? Suspend { get; set; }

    [JsonPropertyName("ttlSecondsAfterFinished")]
    public int? TtlSecondsAfterFinished { get; set; }

    [JsonPropertyName("activeDeadlineSeconds")]
    public long? ActiveDeadlineSeconds { get; set; }

    [JsonPropertyName("schedulingPolicy")]
    public MpiSchedulingPolicy? SchedulingPolicy { get; set; }
}

/// <summary>Which pods the operator deletes when the job finishes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CleanPodPolicy>))]
public enum CleanPodPolicy
{
    /// <summary>Keep every pod (launcher and workers) for log inspection.</summary>
    [JsonStringEnumMemberName("None")] None,
    /// <summary>Delete pods still running; keep finished ones.</summary>
    [JsonStringEnumMemberName("Running")] Running,
    /// <summary>Delete every pod.</summary>
    [JsonStringEnumMemberName("All")] All,
}

/// <summary>Gang-scheduling hints for batch schedulers.</summary>
public sealed class MpiSchedulingPolicy
{
    /// <summary>Pods that must be placed together; overrides the gang the launcher creation policy implies.</summary>
    [JsonPropertyName("minAvailable")]
    public int? MinAvailable { get; set; }

    [JsonPropertyName("queue")]
    public string? Queue { get; set; }

    [JsonPropertyName("minResources")]
    public Dictionary<string, ResourceQuantity>? MinResources { get; set; }

    [JsonPropertyName("priorityClass")]
    public string? PriorityClass { get; set; }

    [JsonPropertyName("scheduleTimeoutSeconds")]
    public int? ScheduleTimeoutSeconds { get; set; }
}

public sealed class MpiJobStatus
{
    [JsonPropertyName("conditions")]
    public List<MpiJobCondition>? Conditions { get; set; }

    /// <summary>Keyed by replica type (<c>Launcher</c>, <c>Worker</c>).</summary>
    [JsonPropertyName("replicaStatuses")]
    public Dictionary<string, MpiReplicaStatus>? ReplicaStatuses { get; set; }

    [JsonPropertyName("startTime")]
    public DateTime? StartTime { get; set; }

    [JsonPropertyName("completionTime")]
    public DateTime? CompletionTime { get; set; }

    [JsonPropertyName("lastReconcileTime")]
    public DateTime? LastReconcileTime { get; set; }

    /// <summary>The finished condition (Succeeded or Failed) that is True, if any.</summary>
    [JsonIgnore]
    public MpiJobCondition? FinishedCondition => Conditions?.LastOrDefault(c =>
        c.Status == ConditionStatus.True && c.Type is MpiJobConditionTypes.Succeeded or MpiJobConditionTypes.Failed);

    public bool HasTrueCondition(string type) =>
        Conditions?.Any(c => c.Type == type && c.Status == ConditionStatus.True) == true;
}

public sealed class MpiJobCondition
{
    /// <summary>One of <see cref="MpiJobConditionTypes"/>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    [JsonPropertyName("status")]
    public string Status { get; set; } = ConditionStatus.Unknown;

    [JsonPropertyName("reason")]
    public string? Reason { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }

    [JsonPropertyName("lastUpdateTime")]
    public DateTime? LastUpdateTime { get; set; }

    [JsonPropertyName("lastTransitionTime")]
    public DateTime? LastTransitionTime { get; set; }
}

public static class MpiJobConditionTypes
{
    public const string Created = "Created";
    public const string Running = "Running";
    public const string Restarting = "Restarting";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string Suspended = "Suspended";

    public static readonly IReadOnlyList<string> All = [Created, Running, Restarting, Succeeded, Failed, Suspended];
}

public sealed class MpiReplicaStatus
{
    [JsonPropertyName("active")]
    public int? Active { get; set; }

    [JsonPropertyName("succeeded")]
    public int? Succeeded { get; set; }

    [JsonPropertyName("failed")]
    public int? Failed { get; set; }

    /// <summary>Label selector (string form) of this replica type's pods.</summary>
    [JsonPropertyName("selector")]
    public string? Selector { get; set; }
}
