using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Runai.Core.Resources;
using Runai.Core.Tests.Support;
using Runai.Core.Yaml;

namespace Runai.Core.Tests;

public sealed class ModelSerializationTests
{
    public static TheoryData<string> SampleNames => new(Catalog.Keys);

    private static readonly Dictionary<string, (Func<object> Sample, Type Type, string CrdFile)> Catalog = new()
    {
        ["Project"] = (Samples.Project, typeof(Project), "deploy/crds/run.ai_projects.yaml"),
        ["RunaiJob"] = (Samples.RunaiJob, typeof(RunaiJob), "deploy/crds/run.ai_runaijobs.yaml"),
        ["TrainingWorkload"] = (Samples.TrainingWorkload, typeof(TrainingWorkload), "deploy/crds/run.ai_trainingworkloads.yaml"),
        ["InferenceWorkload"] = (Samples.InferenceWorkload, typeof(InferenceWorkload), "deploy/crds/run.ai_inferenceworkloads.yaml"),
        ["InteractiveWorkload"] = (Samples.InteractiveWorkload, typeof(InteractiveWorkload), "deploy/crds/run.ai_interactiveworkloads.yaml"),
        ["MPIJob"] = (Samples.MpiJob, typeof(MpiJob), "sim/crds/kubeflow.org_mpijobs.yaml"),
    };

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void SampleSetsEveryFieldOfTheModel(string name)
    {
        Assert.Empty(Populated.MissingFields(Catalog[name].Sample()));
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void SerializedSampleUsesOnlyFieldsTheCrdDeclares(string name)
    {
        var (sample, _, crdFile) = Catalog[name];
        var json = JsonNode.Parse(KubernetesJson.Serialize(sample()))!;
        var schema = RepoFiles.Schema(RepoFiles.Crd(crdFile));
        Assert.Empty(SchemaCheck.Violations(json, schema));
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void SampleRoundTripsThroughKubernetesJson(string name)
    {
        var (sample, type, _) = Catalog[name];
        var first = KubernetesJson.Serialize(sample());
        var read = Deserialize(first, type);
        Assert.IsType(type, read);
        var second = KubernetesJson.Serialize(read);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(first), JsonNode.Parse(second)), $"{first}\n!=\n{second}");
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void KindAndApiVersionMatchTheCrd(string name)
    {
        var (sample, _, crdFile) = Catalog[name];
        var obj = (IKubernetesObject)sample();
        var crd = RepoFiles.Crd(crdFile);
        Assert.Equal(crd["spec"]!["names"]!["kind"]!.GetValue<string>(), obj.Kind);
        Assert.Equal(
            $"{crd["spec"]!["group"]!.GetValue<string>()}/{crd["spec"]!["versions"]![0]!["name"]!.GetValue<string>()}",
            obj.ApiVersion);
    }

    [Fact]
    public void CheckerFindsUndeclaredAndMistypedFields()
    {
        var json = JsonNode.Parse(KubernetesJson.Serialize(Samples.TrainingWorkload()))!;
        json["spec"]!["gpu"] = 1;
        json["spec"]!["workers"] = "two";
        json["spec"]!["placement"] = "pack";
        json["spec"]!["gpuMemoryMiB"] = -1;
        var schema = RepoFiles.Schema(RepoFiles.Crd("deploy/crds/run.ai_trainingworkloads.yaml"));
        var violations = SchemaCheck.Violations(json, schema);
        Assert.Contains("spec.gpu: not declared in the schema", violations);
        Assert.Contains(violations, v => v.StartsWith("spec.workers: expected an integer", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("spec.placement: \"pack\" is not one of", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("spec.gpuMemoryMiB: -1 is below the minimum", StringComparison.Ordinal));
    }

    [Fact]
    public void WorkloadFieldsUseTheDomainNames()
    {
        var json = JsonNode.Parse(KubernetesJson.Serialize(Samples.TrainingWorkload()))!;
        var spec = json["spec"]!;
        Assert.Equal(0.5m, spec["gpus"]!.GetValue<decimal>());
        Assert.Equal(40000, spec["gpuMemoryMiB"]!.GetValue<long>());
        Assert.Equal("500m", spec["cpu"]!.GetValue<string>());
        Assert.Equal("16Gi", spec["memory"]!.GetValue<string>());
        Assert.Equal("spread", spec["placement"]!.GetValue<string>());
        Assert.True(spec["antiAffinity"]!.GetValue<bool>());
        Assert.Equal(4, spec["workers"]!.GetValue<int>());
        Assert.Equal("NCCL_DEBUG", spec["env"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("Running", json["status"]!["phase"]!.GetValue<string>());
        Assert.Equal("2025-03-01T12:00:00Z", json["status"]!["startTime"]!.GetValue<string>());
    }

    [Fact]
    public void MpiJobEnumsUseKubeflowSpelling()
    {
        var spec = JsonNode.Parse(KubernetesJson.Serialize(Samples.MpiJob()))!["spec"]!;
        Assert.Equal("WaitForWorkersReady", spec["launcherCreationPolicy"]!.GetValue<string>());
        Assert.Equal("MPICH", spec["mpiImplementation"]!.GetValue<string>());
        Assert.Equal("None", spec["runPolicy"]!["cleanPodPolicy"]!.GetValue<string>());
        Assert.Equal(["Launcher", "Worker"], spec["mpiReplicaSpecs"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void SeedMpiJobReadsFromYaml()
    {
        const string yaml = """
            apiVersion: kubeflow.org/v2beta1
            kind: MPIJob
            metadata:
              name: nccl-roce-validation
              namespace: my-project
            spec:
              slotsPerWorker: 2
              launcherCreationPolicy: WaitForWorkersReady
              runPolicy:
                cleanPodPolicy: None
                backoffLimit: 0
                suspend: false
              mpiReplicaSpecs:
                Launcher:
                  replicas: 1
                  template:
                    spec:
                      containers:
                        - name: launcher
                          image: mpioperator/openmpi
                Worker:
                  replicas: 2
                  template:
                    spec:
                      affinity:
                        podAntiAffinity:
                          requiredDuringSchedulingIgnoredDuringExecution:
                            - topologyKey: kubernetes.io/hostname
                              labelSelector:
                                matchLabels:
                                  training.kubeflow.org/job-role: worker
                      containers:
                        - name: worker
                          image: mpioperator/openmpi
                          resources:
                            limits:
                              nvidia.com/gpu: 2
            """;
        var obj = KubeYaml.ReadObject(yaml);
        Assert.Empty(SchemaCheck.Violations(obj, RepoFiles.Schema(RepoFiles.Crd("sim/crds/kubeflow.org_mpijobs.yaml"))));
        var job = KubernetesJson.Deserialize<MpiJob>(obj.ToJsonString());
        Assert.Equal(2, job.Spec.EffectiveSlotsPerWorker);
        Assert.Equal(LauncherCreationPolicy.WaitForWorkersReady, job.Spec.EffectiveLauncherCreationPolicy);
        Assert.Equal(CleanPodPolicy.None, job.Spec.RunPolicy!.CleanPodPolicy);
        Assert.Equal(0, job.Spec.RunPolicy.BackoffLimit);
        Assert.Equal(2, job.Worker!.Replicas);
        Assert.Equal(1, job.Launcher!.Replicas);
        Assert.Equal("2", job.Worker.Template.Spec.Containers[0].Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("my-project", job.Metadata.NamespaceProperty);
    }

    [Fact]
    public void MpiJobDefaultsApplyWhenFieldsAreAbsent()
    {
        var job = KubernetesJson.Deserialize<MpiJob>("""{"apiVersion":"kubeflow.org/v2beta1","kind":"MPIJob","spec":{"mpiReplicaSpecs":{}}}""");
        Assert.Equal(1, job.Spec.EffectiveSlotsPerWorker);
        Assert.Equal(LauncherCreationPolicy.AtStartup, job.Spec.EffectiveLauncherCreationPolicy);
        Assert.Null(job.Launcher);
        Assert.Null(job.Status?.FinishedCondition);
    }

    [Fact]
    public void MpiJobFinishedConditionIsTheTrueSucceededOrFailedOne()
    {
        var status = new MpiJobStatus
        {
            Conditions =
            [
                new MpiJobCondition { Type = MpiJobConditionTypes.Created, Status = ConditionStatus.True },
                new MpiJobCondition { Type = MpiJobConditionTypes.Running, Status = ConditionStatus.False },
                new MpiJobCondition { Type = MpiJobConditionTypes.Succeeded, Status = ConditionStatus.True },
            ],
        };
        Assert.Equal(MpiJobConditionTypes.Succeeded, status.FinishedCondition!.Type);
        Assert.True(status.HasTrueCondition(MpiJobConditionTypes.Created));
        Assert.False(status.HasTrueCondition(MpiJobConditionTypes.Running));
        status.Conditions[2].Status = ConditionStatus.False;
        Assert.Null(status.FinishedCondition);
    }

    [Fact]
    public void ProjectNamespaceDefaultsToRunaiPrefixedName()
    {
        var project = new Project { Metadata = new V1ObjectMeta { Name = "team-a" } };
        Assert.Equal("runai-team-a", project.EffectiveNamespace);
        project.Spec.Namespace = "my-project";
        Assert.Equal("my-project", project.EffectiveNamespace);
        Assert.Equal("runai-x", Project.DefaultNamespaceFor("x"));
    }

    [Fact]
    public void ProjectWithoutLimitHasNoCapAndDefaultWeight()
    {
        var project = KubernetesJson.Deserialize<Project>("""{"apiVersion":"run.ai/v2alpha1","kind":"Project","metadata":{"name":"p"},"spec":{"gpus":{"quota":8}}}""");
        Assert.Null(project.Spec.Gpus.Limit);
        Assert.Equal(GpuQuantity.FromDevices(8), project.Spec.Gpus.Quota);
        Assert.Equal(1, project.Spec.Gpus.OverQuotaWeight);
        Assert.Equal(ProjectPriority.Normal, project.Spec.Priority);
        var json = JsonNode.Parse(KubernetesJson.Serialize(project))!;
        Assert.Null(json["spec"]!["gpus"]!["limit"]);
        Assert.Equal("Normal", json["spec"]!["priority"]!.GetValue<string>());
    }

    [Fact]
    public void FractionalProjectQuotaIsKept()
    {
        var project = KubernetesJson.Deserialize<Project>("""{"spec":{"gpus":{"quota":0.5,"limit":"1500m"}}}""");
        Assert.Equal("0.5", project.Spec.Gpus.Quota.ToString());
        Assert.Equal("1.5", project.Spec.Gpus.Limit.ToString());
    }

    [Fact]
    public void WorkloadsShareOneViewOfTheirCommonSpec()
    {
        foreach (var workload in Samples.Workloads())
        {
            Assert.Equal("nvcr.io/nvidia/pytorch:24.08-py3", workload.CommonSpec.Image);
            Assert.Equal(workload.Kind, workload.KindInfo.Kind);
            Assert.Equal(workload.ApiVersion, workload.KindInfo.ApiVersion);
            Assert.Contains(workload.KindInfo, WorkloadKinds.Runai);
        }
    }

    [Fact]
    public void NewWorkloadsCarryKindAndApiVersion()
    {
        var json = JsonNode.Parse(KubernetesJson.Serialize(new InferenceWorkload()))!;
        Assert.Equal("run.ai/v2alpha1", json["apiVersion"]!.GetValue<string>());
        Assert.Equal("InferenceWorkload", json["kind"]!.GetValue<string>());
        Assert.Equal("binpack", json["spec"]!["placement"]!.GetValue<string>());
        Assert.Equal(1, json["spec"]!["replicas"]!.GetValue<int>());
        Assert.Null(json["status"]);
    }

    [Fact]
    public void KubernetesEntityAttributesNameTheResource()
    {
        foreach (var (type, kind) in new[] { (typeof(Project), WorkloadKinds.RunaiJob with { Kind = "Project", Plural = "projects" }) }
                     .Concat(WorkloadKinds.All.Select(k => (TypeOf(k.Kind), k))))
        {
            var entity = (KubernetesEntityAttribute)Attribute.GetCustomAttribute(type, typeof(KubernetesEntityAttribute))!;
            Assert.Equal(kind.Group, entity.Group);
            Assert.Equal(kind.Version, entity.ApiVersion);
            Assert.Equal(kind.Kind, entity.Kind);
            Assert.Equal(kind.Plural, entity.PluralName);
        }
    }

    [Fact]
    public void UnknownEnumValueIsRejected()
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() =>
            KubernetesJson.Deserialize<RunaiJob>("""{"spec":{"image":"x","placement":"sideways"}}"""));
    }

    private static Type TypeOf(string kind) => kind switch
    {
        "RunaiJob" => typeof(RunaiJob),
        "TrainingWorkload" => typeof(TrainingWorkload),
        "InferenceWorkload" => typeof(InferenceWorkload),
        "InteractiveWorkload" => typeof(InteractiveWorkload),
        "MPIJob" => typeof(MpiJob),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static object Deserialize(string json, Type type) => type.Name switch
    {
        nameof(Project) => KubernetesJson.Deserialize<Project>(json),
        nameof(RunaiJob) => KubernetesJson.Deserialize<RunaiJob>(json),
        nameof(TrainingWorkload) => KubernetesJson.Deserialize<TrainingWorkload>(json),
        nameof(InferenceWorkload) => KubernetesJson.Deserialize<InferenceWorkload>(json),
        nameof(InteractiveWorkload) => KubernetesJson.Deserialize<InteractiveWorkload>(json),
        nameof(MpiJob) => KubernetesJson.Deserialize<MpiJob>(json),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
