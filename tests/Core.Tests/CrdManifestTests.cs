using System.Text.Json.Nodes;
using Runai.Core.Tests.Support;

namespace Runai.Core.Tests;

public sealed class CrdManifestTests
{
    public static TheoryData<string> RunaiCrds => new(RunaiCrdNames);
    public static TheoryData<string> AllCrds => new(RunaiCrdNames.Concat(SchedulingCrdNames).Concat(ThirdPartyCrdNames));

    private static readonly string[] RunaiCrdNames =
    [
        "deploy/crds/run.ai_projects.yaml",
        "deploy/crds/run.ai_runaijobs.yaml",
        "deploy/crds/run.ai_trainingworkloads.yaml",
        "deploy/crds/run.ai_inferenceworkloads.yaml",
        "deploy/crds/run.ai_interactiveworkloads.yaml",
    ];

    /// <summary>The product's kinds outside group run.ai: runai-scheduler's pod groups.</summary>
    private static readonly string[] SchedulingCrdNames =
    [
        "deploy/crds/scheduling.run.ai_podgroups.yaml",
    ];

    private static readonly string[] ThirdPartyCrdNames =
    [
        "sim/crds/kubeflow.org_mpijobs.yaml",
        "sim/crds/monitoring.coreos.com_prometheusrules.yaml",
        "sim/crds/monitoring.coreos.com_servicemonitors.yaml",
    ];

    [Fact]
    public void EveryCrdFileIsListedHere()
    {
        var onDisk = RepoFiles.RunaiCrdFiles.Concat(RepoFiles.ThirdPartyCrdFiles)
            .Select(f => Path.GetRelativePath(RepoFiles.Root, f).Replace('\\', '/'));
        Assert.Equal(RunaiCrdNames.Concat(SchedulingCrdNames).Concat(ThirdPartyCrdNames).Order(), onDisk.Order());
    }

    [Theory]
    [MemberData(nameof(AllCrds))]
    public void CrdIsOneCustomResourceDefinitionNamedAfterItsFile(string file)
    {
        var crd = RepoFiles.Crd(file);
        Assert.Equal("apiextensions.k8s.io/v1", crd["apiVersion"]!.GetValue<string>());
        Assert.Equal("CustomResourceDefinition", crd["kind"]!.GetValue<string>());
        var group = crd["spec"]!["group"]!.GetValue<string>();
        var plural = crd["spec"]!["names"]!["plural"]!.GetValue<string>();
        Assert.Equal($"{plural}.{group}", crd["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal($"{group}_{plural}.yaml", Path.GetFileName(file));
        var names = crd["spec"]!["names"]!;
        Assert.Equal(names["kind"]!.GetValue<string>() + "List", names["listKind"]!.GetValue<string>());
        Assert.Equal(names["kind"]!.GetValue<string>().ToLowerInvariant(), names["singular"]!.GetValue<string>());
        Assert.NotEmpty(names["shortNames"]!.AsArray());
    }

    [Theory]
    [MemberData(nameof(AllCrds))]
    public void CrdServesAndStoresExactlyOneVersion(string file)
    {
        var versions = RepoFiles.Crd(file)["spec"]!["versions"]!.AsArray();
        var version = Assert.Single(versions)!;
        Assert.True(version["served"]!.GetValue<bool>());
        Assert.True(version["storage"]!.GetValue<bool>());
    }

    [Theory]
    [MemberData(nameof(AllCrds))]
    public void SchemaIsStructural(string file)
    {
        var problems = new List<string>();
        StructuralProblems(RepoFiles.Schema(RepoFiles.Crd(file)), "", problems);
        Assert.Empty(problems);
    }

    [Theory]
    [MemberData(nameof(RunaiCrds))]
    public void RunaiKindIsRunaiV2alpha1WithStatusSubresource(string file)
    {
        var crd = RepoFiles.Crd(file);
        Assert.Equal("run.ai", crd["spec"]!["group"]!.GetValue<string>());
        var version = crd["spec"]!["versions"]![0]!;
        Assert.Equal("v2alpha1", version["name"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["status"] = new JsonObject() }, version["subresources"]));
    }

    [Theory]
    [MemberData(nameof(RunaiCrds))]
    public void RunaiSchemaKeepsNoUnknownFieldsAnywhere(string file)
    {
        var schema = RepoFiles.Schema(RepoFiles.Crd(file));
        Assert.DoesNotContain("x-kubernetes-preserve-unknown-fields", schema.ToJsonString());
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["type"] = "object" }, schema["properties"]!["metadata"]));
        Assert.Equal("object", schema["properties"]!["spec"]!["type"]!.GetValue<string>());
        Assert.Equal("object", schema["properties"]!["status"]!["type"]!.GetValue<string>());
        Assert.Contains("spec", schema["required"]!.AsArray().Select(r => r!.GetValue<string>()));
    }

    [Theory]
    [InlineData("deploy/crds/run.ai_runaijobs.yaml", "rj")]
    [InlineData("deploy/crds/run.ai_trainingworkloads.yaml", "tw")]
    [InlineData("deploy/crds/run.ai_inferenceworkloads.yaml", "iw")]
    [InlineData("deploy/crds/run.ai_interactiveworkloads.yaml", "itw")]
    public void WorkloadKindIsInTheRunaiWorkloadsCategoryWithItsShortName(string file, string shortName)
    {
        var crd = RepoFiles.Crd(file);
        Assert.Equal("Namespaced", crd["spec"]!["scope"]!.GetValue<string>());
        Assert.Equal(["runaiworkloads"], Strings(crd["spec"]!["names"]!["categories"]));
        Assert.Equal([shortName], Strings(crd["spec"]!["names"]!["shortNames"]));
    }

    [Theory]
    [InlineData("deploy/crds/run.ai_runaijobs.yaml")]
    [InlineData("deploy/crds/run.ai_trainingworkloads.yaml")]
    [InlineData("deploy/crds/run.ai_inferenceworkloads.yaml")]
    [InlineData("deploy/crds/run.ai_interactiveworkloads.yaml")]
    public void WorkloadColumnsShowTheCalculatedAnnotations(string file)
    {
        var columns = Columns(RepoFiles.Crd(file)).Where(c => c.Priority == 0).ToList();
        Assert.Equal(
            [
                ("Status", "string", ".metadata.annotations." + RunaiAnnotations.CalculatedStatus),
                ("GPUs", "string", ".metadata.annotations." + RunaiAnnotations.CurrentAllocatedGpus),
                ("Nodes", "string", ".metadata.annotations." + RunaiAnnotations.UsedNodes),
                ("Age", "date", ".metadata.creationTimestamp"),
            ],
            columns.Select(c => (c.Name, c.Type, c.JsonPath)));
    }

    [Fact]
    public void ProjectIsClusterScopedAndShowsItsQuota()
    {
        var crd = RepoFiles.Crd("deploy/crds/run.ai_projects.yaml");
        Assert.Equal("Cluster", crd["spec"]!["scope"]!.GetValue<string>());
        Assert.Equal(["proj"], Strings(crd["spec"]!["names"]!["shortNames"]));
        Assert.Null(crd["spec"]!["names"]!["categories"]); // a project is not a workload
        Assert.Equal(
            [
                ("Namespace", "string", ".spec.namespace"),
                ("Quota", "number", ".spec.gpus.quota"),
                ("Limit", "number", ".spec.gpus.limit"),
                ("Age", "date", ".metadata.creationTimestamp"),
            ],
            Columns(crd).Select(c => (c.Name, c.Type, c.JsonPath)));
    }

    [Fact]
    public void WorkloadSpecsDeclareTheCommonFieldsAndTheirOwn()
    {
        string[] common =
        [
            "image", "command", "args", "env", "gpus", "gpuMemoryMiB", "cpu", "memory", "priorityClassName",
            "nodePools", "placement", "antiAffinity", "backoffLimit", "suspend",
        ];
        var own = new Dictionary<string, string[]>
        {
            ["deploy/crds/run.ai_runaijobs.yaml"] = ["restartPolicy"],
            ["deploy/crds/run.ai_trainingworkloads.yaml"] = ["workers"],
            ["deploy/crds/run.ai_inferenceworkloads.yaml"] = ["replicas", "port"],
            ["deploy/crds/run.ai_interactiveworkloads.yaml"] = ["port", "pvc"],
        };
        foreach (var (file, fields) in own)
        {
            var spec = SpecSchema(file);
            Assert.Equal(common.Concat(fields), spec["properties"]!.AsObject().Select(p => p.Key));
            Assert.Equal(["image"], Strings(spec["required"]));
        }
    }

    [Fact]
    public void WorkloadFieldsHaveTheRightTypesAndBounds()
    {
        var properties = SpecSchema("deploy/crds/run.ai_trainingworkloads.yaml")["properties"]!;
        Assert.Equal("number", properties["gpus"]!["type"]!.GetValue<string>());
        Assert.Equal(0, properties["gpus"]!["minimum"]!.GetValue<int>());
        Assert.Equal(0, properties["gpuMemoryMiB"]!["minimum"]!.GetValue<int>());
        Assert.Equal(0, properties["backoffLimit"]!["minimum"]!.GetValue<int>());
        Assert.Equal(1, properties["workers"]!["minimum"]!.GetValue<int>());
        Assert.Equal(["binpack", "spread"], Strings(properties["placement"]!["enum"]));
        Assert.Equal("binpack", properties["placement"]!["default"]!.GetValue<string>());
        Assert.Equal("boolean", properties["antiAffinity"]!["type"]!.GetValue<string>());
        foreach (var quantity in new[] { "cpu", "memory" })
        {
            Assert.True(properties[quantity]!["x-kubernetes-int-or-string"]!.GetValue<bool>());
            Assert.NotNull(properties[quantity]!["pattern"]);
        }
    }

    [Fact]
    public void StatusPhaseAcceptsExactlyTheNineStatuses()
    {
        foreach (var file in RunaiCrdNames.Skip(1))
        {
            var phase = RepoFiles.Schema(RepoFiles.Crd(file))["properties"]!["status"]!["properties"]!["phase"]!;
            Assert.Equal(WorkloadStatus.All, Strings(phase["enum"]));
        }
    }

    [Fact]
    public void ProjectLimitMayNotBeBelowQuota()
    {
        var gpus = SpecSchema("deploy/crds/run.ai_projects.yaml")["properties"]!["gpus"]!;
        var rule = Assert.Single(gpus["x-kubernetes-validations"]!.AsArray())!;
        Assert.Contains("self.limit >= self.quota", rule["rule"]!.GetValue<string>());
        Assert.Equal(1, gpus["properties"]!["overQuotaWeight"]!["default"]!.GetValue<int>());
        Assert.Equal(["quota"], Strings(gpus["required"]));
    }

    [Fact]
    public void MpiJobIsKubeflowV2beta1AndNotARunaiWorkloadCategory()
    {
        var crd = RepoFiles.Crd("sim/crds/kubeflow.org_mpijobs.yaml");
        Assert.Equal("kubeflow.org", crd["spec"]!["group"]!.GetValue<string>());
        Assert.Equal("v2beta1", crd["spec"]!["versions"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("Namespaced", crd["spec"]!["scope"]!.GetValue<string>());
        Assert.Equal(["mpij"], Strings(crd["spec"]!["names"]!["shortNames"]));
        Assert.Equal(["kubeflow"], Strings(crd["spec"]!["names"]!["categories"]));
        Assert.NotNull(crd["spec"]!["versions"]![0]!["subresources"]!["status"]);
        Assert.Equal(
            [("State", "string", ".status.conditions[-1:].type"), ("Age", "date", ".metadata.creationTimestamp")],
            Columns(crd).Select(c => (c.Name, c.Type, c.JsonPath)));
    }

    [Fact]
    public void MpiJobKeepsUnknownFieldsOnlyInPodTemplates()
    {
        var schema = RepoFiles.Schema(RepoFiles.Crd("sim/crds/kubeflow.org_mpijobs.yaml"));
        var preserved = new List<string>();
        FindPreserved(schema, "", preserved);
        Assert.Equal(
            [".spec.mpiReplicaSpecs.Launcher.template", ".spec.mpiReplicaSpecs.Worker.template"],
            preserved);
    }

    [Fact]
    public void MpiJobSpecDescribesItsPolicies()
    {
        var spec = SpecSchema("sim/crds/kubeflow.org_mpijobs.yaml")["properties"]!;
        Assert.Equal(["AtStartup", "WaitForWorkersReady"], Strings(spec["launcherCreationPolicy"]!["enum"]));
        Assert.Equal(["OpenMPI", "Intel", "MPICH"], Strings(spec["mpiImplementation"]!["enum"]));
        var runPolicy = spec["runPolicy"]!["properties"]!;
        Assert.Equal(["None", "Running", "All"], Strings(runPolicy["cleanPodPolicy"]!["enum"]));
        Assert.Equal(
            ["minAvailable", "queue", "minResources", "priorityClass", "scheduleTimeoutSeconds"],
            runPolicy["schedulingPolicy"]!["properties"]!.AsObject().Select(p => p.Key));
    }

    [Theory]
    [InlineData("sim/crds/monitoring.coreos.com_servicemonitors.yaml", "ServiceMonitor", "smon")]
    [InlineData("sim/crds/monitoring.coreos.com_prometheusrules.yaml", "PrometheusRule", "promrule")]
    public void PrometheusOperatorKindsAreMonitoringV1(string file, string kind, string shortName)
    {
        var crd = RepoFiles.Crd(file);
        Assert.Equal("monitoring.coreos.com", crd["spec"]!["group"]!.GetValue<string>());
        Assert.Equal(kind, crd["spec"]!["names"]!["kind"]!.GetValue<string>());
        Assert.Equal("v1", crd["spec"]!["versions"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("Namespaced", crd["spec"]!["scope"]!.GetValue<string>());
        Assert.Equal([shortName], Strings(crd["spec"]!["names"]!["shortNames"]));
        Assert.True(RepoFiles.Schema(crd)["properties"]!["spec"]!["x-kubernetes-preserve-unknown-fields"]!.GetValue<bool>());
    }

    [Fact]
    public void WorkloadKindCatalogMatchesTheCrds()
    {
        var files = new Dictionary<string, string>
        {
            ["RunaiJob"] = "deploy/crds/run.ai_runaijobs.yaml",
            ["TrainingWorkload"] = "deploy/crds/run.ai_trainingworkloads.yaml",
            ["InferenceWorkload"] = "deploy/crds/run.ai_inferenceworkloads.yaml",
            ["InteractiveWorkload"] = "deploy/crds/run.ai_interactiveworkloads.yaml",
            ["MPIJob"] = "sim/crds/kubeflow.org_mpijobs.yaml",
        };
        Assert.Equal(files.Keys, WorkloadKinds.All.Select(k => k.Kind));
        foreach (var kind in WorkloadKinds.All)
        {
            var crd = RepoFiles.Crd(files[kind.Kind]);
            Assert.Equal(kind.Group, crd["spec"]!["group"]!.GetValue<string>());
            Assert.Equal(kind.Version, crd["spec"]!["versions"]![0]!["name"]!.GetValue<string>());
            Assert.Equal(kind.Kind, crd["spec"]!["names"]!["kind"]!.GetValue<string>());
            Assert.Equal(kind.Plural, crd["spec"]!["names"]!["plural"]!.GetValue<string>());
            Assert.Equal(kind.GroupResource, crd["metadata"]!["name"]!.GetValue<string>());
        }
    }

    private static JsonObject SpecSchema(string file) =>
        RepoFiles.Schema(RepoFiles.Crd(file))["properties"]!["spec"]!.AsObject();

    private static List<string> Strings(JsonNode? array) =>
        array!.AsArray().Select(item => item!.GetValue<string>()).ToList();

    private sealed record Column(string Name, string Type, string JsonPath, int Priority);

    private static List<Column> Columns(JsonObject crd) =>
        crd["spec"]!["versions"]![0]!["additionalPrinterColumns"]!.AsArray()
            .Select(c => new Column(
                c!["name"]!.GetValue<string>(),
                c["type"]!.GetValue<string>(),
                c["jsonPath"]!.GetValue<string>(),
                c["priority"]?.GetValue<int>() ?? 0))
            .ToList();

    /// <summary>The rules of a structural schema that matter here: every node typed (or int-or-string), items and properties well-formed.</summary>
    private static void StructuralProblems(JsonObject schema, string path, List<string> problems)
    {
        var intOrString = schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true;
        var type = schema["type"]?.GetValue<string>();
        if (!intOrString && type is null)
        {
            problems.Add($"{path}: no type");
        }
        if (intOrString && type is not null)
        {
            problems.Add($"{path}: int-or-string must not also set a type");
        }
        if (type == "array" && schema["items"] is not JsonObject)
        {
            problems.Add($"{path}: array without items");
        }
        if (schema["properties"] is JsonObject properties)
        {
            if (type != "object")
            {
                problems.Add($"{path}: properties on a non-object");
            }
            foreach (var (name, child) in properties)
            {
                StructuralProblems(child!.AsObject(), $"{path}.{name}", problems);
            }
            if (schema["required"] is JsonArray required)
            {
                foreach (var name in required.Select(r => r!.GetValue<string>()).Where(n => !properties.ContainsKey(n)))
                {
                    problems.Add($"{path}: requires undeclared '{name}'");
                }
            }
        }
        if (schema["properties"] is not null && schema["additionalProperties"] is not null)
        {
            problems.Add($"{path}: both properties and additionalProperties");
        }
        if (schema["items"] is JsonObject items)
        {
            StructuralProblems(items, path + "[]", problems);
        }
        if (schema["additionalProperties"] is JsonObject additional)
        {
            StructuralProblems(additional, path + ".*", problems);
        }
    }

    private static void FindPreserved(JsonObject schema, string path, List<string> found)
    {
        if (schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true)
        {
            found.Add(path);
        }
        foreach (var (name, child) in schema["properties"]?.AsObject() ?? new JsonObject())
        {
            FindPreserved(child!.AsObject(), $"{path}.{name}", found);
        }
        if (schema["items"] is JsonObject items)
        {
            FindPreserved(items, path + "[]", found);
        }
        if (schema["additionalProperties"] is JsonObject additional)
        {
            FindPreserved(additional, path + ".*", found);
        }
    }
}
