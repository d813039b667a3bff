using k8s.Models;
using Runai.Core.Resources;

namespace Runai.Core.Tests.Support;

/// <summary>Objects with every field of our own types set, so serialization covers the whole model.</summary>
internal static class Samples
{
    private static readonly DateTime Start = new(2025, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    public static Project Project() => new()
    {
        Metadata = new V1ObjectMeta { Name = "my-project" },
        Spec = new ProjectSpec
        {
            Namespace = "my-project",
            Gpus = new ProjectGpus { Quota = 8, Limit = 16, OverQuotaWeight = 2 },
            Priority = ProjectPriority.High,
            NodePools = ["gpu-h200-pool", "gpu-a100-pool"],
        },
        Status = new ProjectStatus { Conditions = [Condition()], ObservedGeneration = 3 },
    };

    public static RunaiJob RunaiJob() => Fill<RunaiJob, RunaiJobSpec>(new RunaiJob(), s => s.RestartPolicy = JobRestartPolicy.OnFailure);

    public static TrainingWorkload TrainingWorkload() => Fill<TrainingWorkload, TrainingWorkloadSpec>(new TrainingWorkload(), s => s.Workers = 4);

    public static InferenceWorkload InferenceWorkload() => Fill<InferenceWorkload, InferenceWorkloadSpec>(new InferenceWorkload(), s =>
    {
        s.Replicas = 2;
        s.Port = 8080;
    });

    public static InteractiveWorkload InteractiveWorkload() => Fill<InteractiveWorkload, InteractiveWorkloadSpec>(new InteractiveWorkload(), s =>
    {
        s.Port = 8888;
        s.Pvc = new WorkloadVolume
        {
            ClaimName = "notebook-home",
            Size = new ResourceQuantity("10Gi"),
            StorageClassName = "standard",
            MountPath = "/home/jovyan",
        };
    });

    public static IEnumerable<IRunaiWorkload> Workloads() =>
        [RunaiJob(), TrainingWorkload(), InferenceWorkload(), InteractiveWorkload()];

    public static MpiJob MpiJob() => new()
    {
        Metadata = new V1ObjectMeta { Name = "nccl-roce-validation", NamespaceProperty = "my-project" },
        Spec = new MpiJobSpec
        {
            SlotsPerWorker = 2,
            RunLauncherAsWorker = false,
            LauncherCreationPolicy = LauncherCreationPolicy.WaitForWorkersReady,
            SshAuthMountPath = "/home/mpiuser/.ssh",
            MpiImplementation = MpiImplementation.Mpich,
            MpiReplicaSpecs = new()
            {
                [MpiReplicaTypes.Launcher] = Replica(1, MpiRestartPolicies.OnFailure, gpus: null),
                [MpiReplicaTypes.Worker] = Replica(2, MpiRestartPolicies.Never, gpus: "2"),
            },
            RunPolicy = new MpiRunPolicy
            {
                CleanPodPolicy = CleanPodPolicy.None,
                BackoffLimit = 0,
                Suspend = false,
                TtlSecondsAfterFinished = 3600,
                ActiveDeadlineSeconds = 86400,
                SchedulingPolicy = new MpiSchedulingPolicy
                {
                    MinAvailable = 2,
                    Queue = "my-project",
                    MinResources = new() { ["nvidia.com/gpu"] = new ResourceQuantity("4") },
                    PriorityClass = "train",
                    ScheduleTimeoutSeconds = 600,
                },
            },
        },
        Status = new MpiJobStatus
        {
            Conditions =
            [
                new MpiJobCondition
                {
                    Type = MpiJobConditionTypes.Running, Status = ConditionStatus.True, Reason = "MPIJobRunning",
                    Message = "launcher is running", LastUpdateTime = Start, LastTransitionTime = Start,
                },
            ],
            ReplicaStatuses = new()
            {
                [MpiReplicaTypes.Worker] = new MpiReplicaStatus { Active = 2, Succeeded = 0, Failed = 0, Selector = "training.kubeflow.org/job-role=worker" },
            },
            StartTime = Start,
            CompletionTime = Start.AddHours(1),
            LastReconcileTime = Start.AddMinutes(5),
        },
    };

    private static TWorkload Fill<TWorkload, TSpec>(TWorkload workload, Action<TSpec> own)
        where TWorkload : RunaiWorkload<TSpec>
        where TSpec : WorkloadSpec, new()
    {
        workload.Metadata = new V1ObjectMeta { Name = "sample", NamespaceProperty = "my-project" };
        var spec = workload.Spec;
        spec.Image = "nvcr.io/nvidia/pytorch:24.08-py3";
        spec.Command = ["python", "train.py"];
        spec.Args = ["--epochs", "3"];
        spec.Env = [new WorkloadEnvVar { Name = "NCCL_DEBUG", Value = "INFO" }];
        spec.Gpus = GpuQuantity.Parse("0.5");
        spec.GpuMemoryMiB = 40000;
        spec.Cpu = new ResourceQuantity("500m");
        spec.Memory = new ResourceQuantity("16Gi");
        spec.PriorityClassName = PriorityClasses.Train;
        spec.NodePools = ["gpu-h200-pool"];
        spec.Placement = Placement.Spread;
        spec.AntiAffinity = true;
        spec.BackoffLimit = 2;
        spec.Suspend = true;
        own(spec);
        workload.Status = new RunaiWorkloadStatus
        {
            Phase = WorkloadStatus.Running,
            Conditions = [Condition()],
            ObservedGeneration = 1,
            StartTime = Start,
            CompletionTime = Start.AddHours(2),
        };
        return workload;
    }

    private static ResourceCondition Condition() => new()
    {
        Type = "Scheduled",
        Status = ConditionStatus.True,
        Reason = "AllPodsBound",
        Message = "2 of 2 pods bound",
        LastTransitionTime = Start,
    };

    private static MpiReplicaSpec Replica(int replicas, string restartPolicy, string? gpus)
    {
        var container = new V1Container { Name = "mpi", Image = "mpioperator/openmpi:latest" };
        if (gpus is not null)
        {
            container.Resources = new V1ResourceRequirements
            {
                Limits = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new(gpus) },
            };
        }
        return new MpiReplicaSpec
        {
            Replicas = replicas,
            RestartPolicy = restartPolicy,
            Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [container] } },
        };
    }
}
