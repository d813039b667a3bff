using System.Globalization;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;

namespace Runai.Controllers.Workloads;

/// <summary>
/// The Kubernetes objects a Run:ai workload becomes (SPEC §2), built purely from the workload and its project:
/// RunaiJob → a batch Job; TrainingWorkload → worker pods and a headless Service; InferenceWorkload → a Deployment
/// and a Service; InteractiveWorkload → a pod, a Service and optionally a PVC. Every object carries the workload
/// labels and a controller owner reference, so deleting the workload removes them; every pod is placed by
/// runai-scheduler.
/// </summary>
internal static class WorkloadObjects
{
    public const string ContainerName = "main";

    public static string WorkerName(string workload, int index) => $"{workload}-worker-{index.ToString(CultureInfo.InvariantCulture)}";

    public static string ClaimName(string workload) => workload + "-pvc";

    /// <summary>The labels that tie an object to its workload and project.</summary>
    public static Dictionary<string, string> Labels(IRunaiWorkload workload, string project) => new(StringComparer.Ordinal)
    {
        [RunaiLabels.WorkloadName] = workload.Metadata.Name,
        [RunaiLabels.WorkloadKind] = workload.KindInfo.Kind,
        [RunaiLabels.Project] = project,
    };

    public static V1OwnerReference Owner(IRunaiWorkload workload) => new()
    {
        ApiVersion = workload.KindInfo.ApiVersion,
        Kind = workload.KindInfo.Kind,
        Name = workload.Metadata.Name,
        Uid = workload.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    /// <summary>The pod every kind runs (Job, Deployment and the controller's own pods use it as their template).</summary>
    public static V1PodTemplateSpec PodTemplate(IRunaiWorkload workload, string project, string restartPolicy)
    {
        var spec = workload.CommonSpec;
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        var limits = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        var requests = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        if (spec.GpuMemoryMiB is > 0 and var mib)
        {
            annotations[RunaiExtraAnnotations.GpuMemory] = mib.ToString(CultureInfo.InvariantCulture);
        }
        else if (spec.Gpus is { IsZero: false } gpus)
        {
            // A fraction shares a device through runai-scheduler; whole GPUs are the extended resource.
            if (gpus.IsFractional) annotations[RunaiExtraAnnotations.GpuFraction] = gpus.ToString();
            else limits[GpuLabels.ResourceName] = new ResourceQuantity(gpus.ToString());
        }

        if (spec.Cpu is { } cpu) requests["cpu"] = cpu;
        if (spec.Memory is { } memory)
        {
            requests["memory"] = memory;
            limits["memory"] = memory;
        }

        var container = new V1Container
        {
            Name = ContainerName,
            Image = spec.Image,
            Command = spec.Command,
            Args = spec.Args,
            Env = spec.Env?.Select(e => new V1EnvVar { Name = e.Name, Value = e.Value }).ToList(),
            Resources = limits.Count + requests.Count == 0 ? null : new V1ResourceRequirements
            {
                Limits = limits.Count == 0 ? null : limits,
                Requests = requests.Count == 0 ? null : requests,
            },
            Ports = Port(workload) is { } port ? [new V1ContainerPort { Name = "http", ContainerPort = port }] : null,
        };
        var podSpec = new V1PodSpec
        {
            SchedulerName = RunaiComponents.SchedulerName,
            PriorityClassName = spec.PriorityClassName,
            RestartPolicy = restartPolicy,
            Containers = [container],
        };
        if (spec.AntiAffinity)
        {
            podSpec.Affinity = new V1Affinity
            {
                PodAntiAffinity = new V1PodAntiAffinity
                {
                    RequiredDuringSchedulingIgnoredDuringExecution =
                    [
                        new V1PodAffinityTerm
                        {
                            LabelSelector = new V1LabelSelector { MatchLabels = Selector(workload) },
                            TopologyKey = "kubernetes.io/hostname",
                        },
                    ],
                },
            };
        }

        if (workload is InteractiveWorkload { Spec.Pvc: { } pvc })
        {
            podSpec.Volumes = [new V1Volume { Name = "work", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = pvc.ClaimName ?? ClaimName(workload.Metadata.Name) } }];
            container.VolumeMounts = [new V1VolumeMount { Name = "work", MountPath = pvc.MountPath }];
        }

        return new V1PodTemplateSpec
        {
            Metadata = new V1ObjectMeta { Labels = Labels(workload, project), Annotations = annotations.Count == 0 ? null : annotations },
            Spec = podSpec,
        };
    }

    /// <summary>A pod owned directly by the workload (TrainingWorkload workers, the InteractiveWorkload pod).</summary>
    public static V1Pod Pod(IRunaiWorkload workload, string project, string name, string restartPolicy, int? workerIndex)
    {
        var template = PodTemplate(workload, project, restartPolicy);
        if (workerIndex is not null)
        {
            template.Spec.Hostname = name;
            template.Spec.Subdomain = workload.Metadata.Name;
        }

        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = workload.Metadata.NamespaceProperty,
                Labels = template.Metadata.Labels,
                Annotations = template.Metadata.Annotations,
                OwnerReferences = [Owner(workload)],
            },
            Spec = template.Spec,
        };
    }

    public static V1Job Job(RunaiJob workload, string project) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Metadata = Meta(workload, project, workload.Metadata.Name),
        Spec = new V1JobSpec
        {
            BackoffLimit = workload.Spec.BackoffLimit ?? 0,
            Completions = 1,
            Parallelism = 1,
            Suspend = false,
            Template = PodTemplate(workload, project, workload.Spec.RestartPolicy == JobRestartPolicy.OnFailure ? "OnFailure" : "Never"),
        },
    };

    public static V1Deployment Deployment(InferenceWorkload workload, string project) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = Meta(workload, project, workload.Metadata.Name),
        Spec = new V1DeploymentSpec
        {
            Replicas = workload.Spec.Suspend ? 0 : Math.Max(0, workload.Spec.Replicas),
            Selector = new V1LabelSelector { MatchLabels = Selector(workload) },
            Template = PodTemplate(workload, project, "Always"),
        },
    };

    /// <summary>The Service: headless for a TrainingWorkload's workers (stable DNS names), else the workload's port.</summary>
    public static V1Service Service(IRunaiWorkload workload, string project)
    {
        var port = Port(workload) ?? 0;
        var headless = workload is TrainingWorkload;
        return new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = Meta(workload, project, workload.Metadata.Name),
            Spec = new V1ServiceSpec
            {
                ClusterIP = headless ? "None" : null,
                Selector = Selector(workload),
                Ports = port > 0 ? [new V1ServicePort { Name = "http", Port = port, TargetPort = port, Protocol = "TCP" }] : null,
            },
        };
    }

    /// <summary>The claim an InteractiveWorkload gets when its <c>pvc</c> names no existing claim.</summary>
    public static V1PersistentVolumeClaim? Claim(InteractiveWorkload workload, string project)
    {
        if (workload.Spec.Pvc is not { ClaimName: null } pvc) return null;
        return new V1PersistentVolumeClaim
        {
            ApiVersion = "v1",
            Kind = "PersistentVolumeClaim",
            Metadata = Meta(workload, project, ClaimName(workload.Metadata.Name)),
            Spec = new V1PersistentVolumeClaimSpec
            {
                AccessModes = ["ReadWriteOnce"],
                StorageClassName = pvc.StorageClassName,
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = pvc.Size ?? new ResourceQuantity("10Gi") } },
            },
        };
    }

    /// <summary>Whether a workload kind needs a Service: training for worker DNS, inference and interactive for their port.</summary>
    public static bool NeedsService(IRunaiWorkload workload) => workload is TrainingWorkload || Port(workload) is not null;

    private static Dictionary<string, string> Selector(IRunaiWorkload workload) => new(StringComparer.Ordinal)
    {
        [RunaiLabels.WorkloadName] = workload.Metadata.Name,
        [RunaiLabels.WorkloadKind] = workload.KindInfo.Kind,
    };

    private static int? Port(IRunaiWorkload workload) => workload switch
    {
        InferenceWorkload i => i.Spec.Port,
        InteractiveWorkload i => i.Spec.Port,
        _ => null,
    };

    private static V1ObjectMeta Meta(IRunaiWorkload workload, string project, string name) => new()
    {
        Name = name,
        NamespaceProperty = workload.Metadata.NamespaceProperty,
        Labels = Labels(workload, project),
        OwnerReferences = [Owner(workload)],
    };
}
