using System.Text.Json.Nodes;
using Runai.Sim.Api.Patching;

namespace Runai.Sim.Tests.Patching;

public class StrategicMergePatchTests
{
    private const string Pod = """
        {"apiVersion":"v1","kind":"Pod",
         "metadata":{"name":"p","finalizers":["a.run.ai/keep"],"labels":{"app":"web"}},
         "spec":{
           "containers":[
             {"name":"main","image":"nginx:1.25","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
              "ports":[{"containerPort":80,"name":"http"}],"volumeMounts":[{"name":"data","mountPath":"/data"}]},
             {"name":"sidecar","image":"envoy:1.30"}],
           "volumes":[{"name":"data","emptyDir":{}}],
           "tolerations":[{"key":"nvidia.com/gpu","operator":"Exists"}]}}
        """;

    private static JsonObject PatchPod(string patch) => StrategicMergePatch.Apply(Json.Obj(Pod), Json.Node(patch), "", "Pod");

    [Fact]
    public void ContainerImageChangeKeepsTheOtherContainersAndFields()
    {
        var pod = PatchPod("""{"spec":{"containers":[{"name":"sidecar","image":"envoy:1.31"}]}}""");
        var containers = pod["spec"]!["containers"]!.AsArray();
        Assert.Equal(2, containers.Count);
        Json.Equal("""{"name":"sidecar","image":"envoy:1.31"}""", containers[1]);
        Assert.Equal("nginx:1.25", (string?)containers[0]!["image"]);
        Assert.Equal(2, containers[0]!["env"]!.AsArray().Count);
    }

    [Fact]
    public void EnvIsMergedByName()
    {
        var pod = PatchPod("""{"spec":{"containers":[{"name":"main","env":[{"name":"B","value":"20"},{"name":"C","value":"3"}]}]}}""");
        Json.Equal("""[{"name":"A","value":"1"},{"name":"B","value":"20"},{"name":"C","value":"3"}]""", pod["spec"]!["containers"]![0]!["env"]);
    }

    [Fact]
    public void PatchDeleteRemovesTheContainerWithThatName()
    {
        var pod = PatchPod("""{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}""");
        var containers = pod["spec"]!["containers"]!.AsArray();
        Assert.Equal(["main"], containers.Select(c => (string)c!["name"]!));
    }

    [Fact]
    public void PatchDeleteOfAnAbsentItemChangesNothing() =>
        Json.Equal(Pod, PatchPod("""{"spec":{"containers":[{"name":"ghost","$patch":"delete"}]}}"""));

    [Fact]
    public void PatchDeleteOnAMapEmptiesIt() =>
        Json.Equal("{}", PatchPod("""{"metadata":{"labels":{"$patch":"delete"}}}""")["metadata"]!["labels"]);

    [Fact]
    public void PatchDeleteOnAnAbsentMapAddsNothing() =>
        Assert.False(PatchPod("""{"spec":{"nodeSelector":{"$patch":"delete"}}}""")["spec"]!.AsObject().ContainsKey("nodeSelector"));

    [Fact]
    public void PatchReplaceOnAMapReplacesItWhole() =>
        Json.Equal("""{"tier":"gpu"}""", PatchPod("""{"metadata":{"labels":{"$patch":"replace","tier":"gpu"}}}""")["metadata"]!["labels"]);

    [Fact]
    public void PatchReplaceInAListReplacesTheList()
    {
        var pod = PatchPod("""{"spec":{"containers":[{"$patch":"replace"},{"name":"only","image":"busybox"}]}}""");
        Json.Equal("""[{"name":"only","image":"busybox"}]""", pod["spec"]!["containers"]);
    }

    [Fact]
    public void FinalizersMergeAsASet()
    {
        var pod = PatchPod("""{"metadata":{"finalizers":["b.run.ai/also","a.run.ai/keep"]}}""");
        Json.Equal("""["b.run.ai/also","a.run.ai/keep"]""", pod["metadata"]!["finalizers"]);
    }

    [Fact]
    public void DeleteFromPrimitiveListRemovesAFinalizer()
    {
        var pod = PatchPod("""{"metadata":{"$deleteFromPrimitiveList/finalizers":["a.run.ai/keep"]}}""");
        Json.Equal("[]", pod["metadata"]!["finalizers"]);
        Assert.DoesNotContain("$", pod.ToJsonString());
    }

    [Fact]
    public void PortsMergeByContainerPortAndVolumeMountsByMountPath()
    {
        var pod = PatchPod("""
            {"spec":{"containers":[{"name":"main",
              "ports":[{"containerPort":80,"name":"web"},{"containerPort":9090,"name":"metrics"}],
              "volumeMounts":[{"mountPath":"/cache","name":"cache"}]}]}}
            """);
        var main = pod["spec"]!["containers"]![0]!;
        Json.Equal("""[{"containerPort":80,"name":"web"},{"containerPort":9090,"name":"metrics"}]""", main["ports"]);
        Json.Equal("""[{"mountPath":"/cache","name":"cache"},{"name":"data","mountPath":"/data"}]""", main["volumeMounts"]);
    }

    [Fact]
    public void VolumesMergeByName() =>
        Json.Equal("""[{"name":"shm","emptyDir":{"medium":"Memory"}},{"name":"data","emptyDir":{}}]""",
            PatchPod("""{"spec":{"volumes":[{"name":"shm","emptyDir":{"medium":"Memory"}}]}}""")["spec"]!["volumes"]);

    [Fact]
    public void TolerationsHaveNoMergeKeySoTheyAreReplaced() =>
        Json.Equal("""[{"key":"dedicated","operator":"Equal","value":"train"}]""",
            PatchPod("""{"spec":{"tolerations":[{"key":"dedicated","operator":"Equal","value":"train"}]}}""")["spec"]!["tolerations"]);

    [Fact]
    public void NullDeletesAField() =>
        Assert.False(PatchPod("""{"spec":{"containers":[{"name":"main","ports":null}]}}""")["spec"]!["containers"]![0]!.AsObject().ContainsKey("ports"));

    [Fact]
    public void RetainKeysClearsFieldsTheListDoesNotName()
    {
        var deployment = Json.Obj("""{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}""");
        var result = StrategicMergePatch.Apply(deployment, Json.Node("""{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"""), "apps", "Deployment");
        Json.Equal("""{"spec":{"strategy":{"type":"Recreate"}}}""", result);
    }

    [Fact]
    public void RetainKeysNeedNotListFieldsThePatchDeletes()
    {
        var deployment = Json.Obj("""{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}""");
        var result = StrategicMergePatch.Apply(deployment, Json.Node("""{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}}"""), "apps", "Deployment");
        Json.Equal("""{"spec":{"strategy":{"type":"Recreate"}}}""", result);
    }

    // The order kube-apiserver gives (checked with kubectl patch --local): the patch's items in its order,
    // a live item the patch does not name staying ahead of a named one only if it was ahead of it in the live
    // list, so a new item lands before the unnamed live items.
    [Fact]
    public void MergedListsFollowKubeApiserversOrder()
    {
        var pod = PatchPod("""{"spec":{"containers":[{"name":"z","image":"z"},{"name":"sidecar","image":"s2"},{"name":"a","image":"a"}]}}""");
        Assert.Equal(["z", "main", "sidecar", "a"], pod["spec"]!["containers"]!.AsArray().Select(c => (string)c!["name"]!));
    }

    [Fact]
    public void SetElementOrderAloneReordersTheLiveList()
    {
        var pod = PatchPod("""{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"main"}]}}""");
        Assert.Equal(["sidecar", "main"], pod["spec"]!["containers"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.DoesNotContain("$", pod.ToJsonString());
    }

    [Fact]
    public void SetElementOrderReordersTheListAndIsNotStored()
    {
        var pod = PatchPod("""
            {"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"main"}],
                     "containers":[{"name":"sidecar","image":"envoy:1.31"}]}}
            """);
        Assert.Equal(["sidecar", "main"], pod["spec"]!["containers"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.DoesNotContain("$setElementOrder", pod.ToJsonString());
    }

    [Fact]
    public void DirectivesInsideNewItemsAreNotStored()
    {
        var pod = PatchPod("""{"spec":{"containers":[{"name":"new","image":"x","resources":{"$patch":"replace","limits":{"nvidia.com/gpu":"1"}}}]}}""");
        Json.Equal("""{"name":"new","image":"x","resources":{"limits":{"nvidia.com/gpu":"1"}}}""", pod["spec"]!["containers"]![0]);
    }

    [Fact]
    public void DeploymentPodTemplateContainersMergeByName()
    {
        var deployment = Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{"containers":[
              {"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]}}}}
            """);
        var result = StrategicMergePatch.Apply(deployment, Json.Node("""{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:2"}]}}}}"""), "apps", "Deployment");
        Json.Equal("""[{"name":"a","image":"a:1"},{"name":"b","image":"b:2"}]""", result["spec"]!["template"]!["spec"]!["containers"]);
    }

    [Fact]
    public void CronJobPodSpecIsUnderTheJobTemplate()
    {
        var cronJob = Json.Obj("""{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"a:1","env":[{"name":"X","value":"1"}]}]}}}}}}""");
        var result = StrategicMergePatch.Apply(cronJob, Json.Node("""{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a","env":[{"name":"Y","value":"2"}]}]}}}}}}"""), "batch", "CronJob");
        Json.Equal("""[{"name":"Y","value":"2"},{"name":"X","value":"1"}]""", result["spec"]!["jobTemplate"]!["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]);
    }

    [Fact]
    public void ServicePortsMergeByPort()
    {
        var service = Json.Obj("""{"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}]}}""");
        var result = StrategicMergePatch.Apply(service, Json.Node("""{"spec":{"ports":[{"port":80,"targetPort":9090}]}}"""), "", "Service");
        Json.Equal("""[{"port":80,"targetPort":9090},{"port":443}]""", result["spec"]!["ports"]);
    }

    [Fact]
    public void StatusConditionsMergeByTypeAndOwnerReferencesByUid()
    {
        var node = Json.Obj("""
            {"metadata":{"ownerReferences":[{"uid":"u1","name":"a"}]},
             "status":{"conditions":[{"type":"Ready","status":"False"},{"type":"DiskPressure","status":"False"}]}}
            """);
        var result = StrategicMergePatch.Apply(node, Json.Node("""
            {"metadata":{"ownerReferences":[{"uid":"u2","name":"b"}]},"status":{"conditions":[{"type":"Ready","status":"True"}]}}
            """), "", "Node");
        Json.Equal("""[{"uid":"u2","name":"b"},{"uid":"u1","name":"a"}]""", result["metadata"]!["ownerReferences"]);
        Json.Equal("""[{"type":"Ready","status":"True"},{"type":"DiskPressure","status":"False"}]""", result["status"]!["conditions"]);
    }

    [Fact]
    public void ListsOfCustomResourcesAreReplaced()
    {
        var workload = Json.Obj("""{"spec":{"containers":[{"name":"a"},{"name":"b"}]},"status":{"conditions":[{"type":"Ready"}]}}""");
        var result = StrategicMergePatch.Apply(workload, Json.Node("""{"spec":{"containers":[{"name":"b"}]},"status":{"conditions":[{"type":"Failed"}]}}"""), "run.ai", "TrainingWorkload");
        Json.Equal("""{"spec":{"containers":[{"name":"b"}]},"status":{"conditions":[{"type":"Failed"}]}}""", result);
    }

    [Fact]
    public void TargetIsNotMutated()
    {
        var pod = Json.Obj(Pod);
        StrategicMergePatch.Apply(pod, Json.Node("""{"spec":{"containers":[{"name":"main","image":"x","$patch":"replace"}]},"metadata":{"finalizers":["z"]}}"""), "", "Pod");
        Json.Equal(Pod, pod);
    }

    [Fact]
    public void ItemWithoutItsMergeKeyIsABadRequestNamingTheKey()
    {
        var error = Json.Fails(() => PatchPod("""{"spec":{"containers":[{"image":"nginx"}]}}"""));
        Assert.Equal(400, error.Code);
        Assert.Equal("""map: {"image":"nginx"} does not contain declared merge key: name (at .spec.containers)""", error.Message);
    }

    [Theory]
    [InlineData("""{"spec":{"$patch":"explode"}}""", "unknown patch directive \"$patch: explode\" at .spec")]
    [InlineData("""{"spec":{"$patch":1}}""", "$patch at .spec must be a string")]
    [InlineData("""{"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}}""", "must be a list of values")]
    [InlineData("""{"metadata":{"finalizers":[{"a":1}]}}""", ".metadata.finalizers is a set of primitive values")]
    [InlineData("""{"spec":{"containers":["main"]}}""", "its items must be objects")]
    [InlineData("""{"spec":{"$retainKeys":["volumes"],"containers":[]}}""", "does not list \"containers\"")]
    [InlineData("""{"$patch":"delete"}""", "cannot delete the whole object")]
    [InlineData("""[{"op":"add"}]""", "must be a JSON object")]
    public void MalformedPatchesAreBadRequests(string patch, string problem)
    {
        var error = Json.Fails(() => PatchPod(patch));
        Assert.Equal(400, error.Code);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void TheMergeKeyTableCoversPodSpecsInsideWorkloadKinds()
    {
        var lists = PatchSchema.For("apps", "StatefulSet").Lists;
        Assert.Equal(ListStrategy.Map("name"), lists["spec.template.spec.initContainers[].env"]);
        Assert.Equal(ListStrategy.Map("devicePath"), lists["spec.template.spec.containers[].volumeDevices"]);
        Assert.Equal(ListStrategy.Map("ip"), lists["spec.template.spec.hostAliases"]);
        Assert.Equal(ListStrategy.Set, lists["spec.template.metadata.finalizers"]);
        Assert.False(lists.ContainsKey("spec.template.spec.tolerations"));
    }
}
