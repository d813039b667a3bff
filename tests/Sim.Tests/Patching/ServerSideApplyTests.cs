using System.Text.Json.Nodes;
using Runai.Sim.Api.Patching;

namespace Runai.Sim.Tests.Patching;

public class ServerSideApplyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly DateTimeOffset T1 = T0.AddMinutes(1);

    private const string Web = """
        {"apiVersion":"apps/v1","kind":"Deployment",
         "metadata":{"name":"web","namespace":"runai","labels":{"app":"web","tier":"front"}},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
           "template":{"metadata":{"labels":{"app":"web"}},
             "spec":{"containers":[{"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":80}]}]}}}}
        """;

    private static ApplyResult Create(string manager = "kubectl") => ServerSideApply.Apply(null, Json.Obj(Web), manager, force: false, T0);

    private static JsonObject FieldsOf(JsonArray managedFields, string manager) =>
        managedFields.Single(e => (string?)e!["manager"] == manager)!["fieldsV1"]!.AsObject();

    [Fact]
    public void ApplyWithoutALiveObjectCreatesItOwnedByTheManager()
    {
        var result = Create();

        Assert.True(result.Created);
        Assert.Equal(2, (int?)result.Object["spec"]!["replicas"]);
        Json.SameText("""
            [{"manager":"kubectl","operation":"Apply","apiVersion":"apps/v1","time":"2026-01-02T03:04:05Z","fieldsType":"FieldsV1",
              "fieldsV1":{
                "f:metadata":{"f:labels":{"f:app":{},"f:tier":{}}},
                "f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{
                  "k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80}":{".":{},"f:containerPort":{}}}}}}}}}}]
            """, result.ManagedFields);
        Json.Equal(result.ManagedFields.ToJsonString(), result.Object["metadata"]!["managedFields"]);
    }

    [Fact]
    public void ServerOwnedMetadataApiVersionAndKindAreNeverTracked()
    {
        var applied = Json.Obj("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n","uid":"u","resourceVersion":"7",
             "generation":1,"creationTimestamp":"2026-01-01T00:00:00Z","annotations":{"a":"1"}},"data":{"k":"v"}}
            """);
        var fields = ServerSideApply.Apply(null, applied, "m", false, T0).ManagedFields[0]!["fieldsV1"];
        Json.Equal("""{"f:data":{"f:k":{}},"f:metadata":{"f:annotations":{"f:a":{}}}}""", fields);
    }

    [Fact]
    public void ReapplyingWithoutAFieldRemovesIt()
    {
        var live = Create().Object;
        var applied = Json.Obj(Web);
        applied["metadata"]!["labels"]!.AsObject().Remove("tier");
        applied["spec"]!.AsObject().Remove("replicas");

        var result = ServerSideApply.Apply(live, applied, "kubectl", false, T1);

        Assert.False(result.Created);
        Json.Equal("""{"app":"web"}""", result.Object["metadata"]!["labels"]);
        Assert.False(result.Object["spec"]!.AsObject().ContainsKey("replicas"));
        Assert.DoesNotContain("f:replicas", result.ManagedFields.ToJsonString());
        Assert.Equal("2026-01-02T03:05:05Z", (string?)result.ManagedFields[0]!["time"]);
    }

    [Fact]
    public void ReapplyingWithoutAContainerRemovesThatContainer()
    {
        var two = Json.Obj(Web);
        two["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Add(JsonNode.Parse("""{"name":"sidecar","image":"envoy"}"""));
        var live = ServerSideApply.Apply(null, two, "kubectl", false, T0).Object;

        var result = ServerSideApply.Apply(live, Json.Obj(Web), "kubectl", false, T1);

        Assert.Equal(["nginx"], result.Object["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.DoesNotContain("sidecar", result.ManagedFields.ToJsonString());
    }

    [Fact]
    public void ApplyKeepsFieldsItDoesNotMention()
    {
        var live = Create().Object;
        live["status"] = JsonNode.Parse("""{"readyReplicas":2}""");
        var result = ServerSideApply.Apply(live, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":3}}"""), "scaler", force: true, T1);
        Assert.Equal(2, (int?)result.Object["status"]!["readyReplicas"]);
        Assert.Equal("nginx:1.25", (string?)result.Object["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
    }

    [Fact]
    public void AnotherManagerApplyingTheSameValueSharesTheFieldSoItSurvivesTheFirstDroppingIt()
    {
        var live = Create("a").Object;
        live = ServerSideApply.Apply(live, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":2}}"""), "b", false, T1).Object;

        var applied = Json.Obj(Web);
        applied["spec"]!.AsObject().Remove("replicas");
        var result = ServerSideApply.Apply(live, applied, "a", false, T1);

        Assert.Equal(2, (int?)result.Object["spec"]!["replicas"]);
        Assert.DoesNotContain("f:replicas", FieldsOf(result.ManagedFields, "a").ToJsonString());
        Json.Equal("""{"f:spec":{"f:replicas":{}}}""", FieldsOf(result.ManagedFields, "b"));
    }

    [Fact]
    public void AnotherManagerSettingADifferentValueConflicts()
    {
        var live = Create("a").Object;
        var error = Json.Fails(() => ServerSideApply.Apply(live, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":5}}"""), "b", false, T1));

        Assert.Equal(409, error.Code);
        Assert.Equal("Conflict", error.Reason);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"a\": .spec.replicas", error.Message);
        Json.Equal("""{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"a\"","field":".spec.replicas"}]}""", error.Details);
        Assert.Equal(2, (int?)live["spec"]!["replicas"]);
    }

    [Fact]
    public void ConflictsInKeyedListsNameTheItemByItsKey()
    {
        var live = Create("a").Object;
        var error = Json.Fails(() => ServerSideApply.Apply(live, Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}
            """), "b", false, T1));
        Assert.Equal("Apply failed with 1 conflict: conflict with \"a\": .spec.template.spec.containers[name=\"nginx\"].image", error.Message);
    }

    [Fact]
    public void SeveralConflictsAreListedPerManager()
    {
        var live = Create("a").Object;
        live = ServerSideApply.Apply(live, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"owner":"b"}}}"""), "b", false, T1).Object;
        var error = Json.Fails(() => ServerSideApply.Apply(live, Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"owner":"c","tier":"back"}},"spec":{"replicas":9}}
            """), "c", false, T1));
        Assert.Equal(
            "Apply failed with 3 conflicts: conflicts with \"a\":\n- .metadata.labels.tier\n- .spec.replicas\nconflicts with \"b\":\n- .metadata.labels.owner",
            error.Message);
        Assert.Equal(3, error.Details!["causes"]!.AsArray().Count);
    }

    [Fact]
    public void ForceMovesOwnershipOfTheConflictingFieldsOnly()
    {
        var live = Create("a").Object;
        var result = ServerSideApply.Apply(live, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":5}}"""), "b", force: true, T1);

        Assert.Equal(5, (int?)result.Object["spec"]!["replicas"]);
        Json.Equal("""{"f:spec":{"f:replicas":{}}}""", FieldsOf(result.ManagedFields, "b"));
        var a = FieldsOf(result.ManagedFields, "a").ToJsonString();
        Assert.DoesNotContain("f:replicas", a);
        Assert.Contains("f:image", a);
    }

    [Fact]
    public void ApplyingOverAnUpdatersFieldNamesTheUpdaterAndItsApiVersion()
    {
        var created = Json.Obj(Web);
        var live = created.DeepClone().AsObject();
        live["metadata"]!["managedFields"] = ServerSideApply.RecordUpdate(null, created, ServerSideApply.ClientSideApplyManager, "Update", T0);

        var error = Json.Fails(() => ServerSideApply.Apply(live, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":1}}"""), "kubectl", false, T1));
        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas", error.Message);
    }

    [Fact]
    public void FirstApplyToAnObjectWithoutManagedFieldsConflictsWithBeforeFirstApply()
    {
        var error = Json.Fails(() => ServerSideApply.Apply(Json.Obj(Web), Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":4}}"""), "kubectl", false, T1));
        Assert.Contains("conflict with \"before-first-apply\" using apps/v1: .spec.replicas", error.Message);
    }

    [Fact]
    public void FinalizersAreOwnedValueByValue()
    {
        const string withFinalizer = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","finalizers":["run.ai/cleanup"]}}""";
        var created = ServerSideApply.Apply(null, Json.Obj(withFinalizer), "ctl", false, T0);
        Json.Equal("""{"f:metadata":{"f:finalizers":{"v:\"run.ai/cleanup\"":{}}}}""", created.ManagedFields[0]!["fieldsV1"]);

        var dropped = ServerSideApply.Apply(created.Object, Json.Obj("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","finalizers":[]}}"""), "ctl", false, T1);
        Json.Equal("[]", dropped.Object["metadata"]!["finalizers"]);
    }

    [Fact]
    public void KeysAndValuesAreWrittenWithoutNeedlessEscapes()
    {
        var applied = Json.Obj("""{"apiVersion":"v1","kind":"Pod","metadata":{"finalizers":["a+b/<c>"]},"spec":{"containers":[{"name":"é"}]}}""");
        var fieldsV1 = ServerSideApply.Apply(null, applied, "m", false, T0).ManagedFields[0]!["fieldsV1"]!.AsObject();
        Assert.True(fieldsV1["f:metadata"]!["f:finalizers"]!.AsObject().ContainsKey("v:\"a+b/<c>\""));
        Assert.True(fieldsV1["f:spec"]!["f:containers"]!.AsObject().ContainsKey("k:{\"name\":\"é\"}"));
    }

    [Fact]
    public void AtomicSelectorIsReplacedWholeAndConflictsAsAWhole()
    {
        var live = Create("a").Object;
        var selector = """{"apiVersion":"apps/v1","kind":"Deployment","spec":{"selector":{"matchExpressions":[{"key":"app","operator":"Exists"}]}}}""";

        var error = Json.Fails(() => ServerSideApply.Apply(live, Json.Obj(selector), "b", false, T1));
        Assert.Equal("Apply failed with 1 conflict: conflict with \"a\": .spec.selector", error.Message);

        var forced = ServerSideApply.Apply(live, Json.Obj(selector), "b", force: true, T1);
        Json.Equal("""{"matchExpressions":[{"key":"app","operator":"Exists"}]}""", forced.Object["spec"]!["selector"]);
    }

    [Fact]
    public void KubernetesClientReadsTheManagedFields()
    {
        var json = Create().Object.ToJsonString();
        var deployment = k8s.KubernetesJson.Deserialize<k8s.Models.V1Deployment>(json);
        var entry = Assert.Single(deployment.Metadata.ManagedFields);
        Assert.Equal("kubectl", entry.Manager);
        Assert.Equal("Apply", entry.Operation);
        Assert.Equal(T0, new DateTimeOffset(DateTime.SpecifyKind(entry.Time!.Value, DateTimeKind.Utc)));
        var fieldsV1 = JsonNode.Parse(k8s.KubernetesJson.Serialize(entry.FieldsV1))!;
        Assert.True(fieldsV1["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!.AsObject().ContainsKey("k:{\"name\":\"nginx\"}"));
    }

    [Fact]
    public void ApplyDoesNotMutateTheLiveObject()
    {
        var live = Create().Object;
        var before = live.ToJsonString();
        ServerSideApply.Apply(live, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":2}}"""), "kubectl", false, T1);
        Assert.Equal(before, live.ToJsonString());
    }

    [Fact]
    public void EntriesAreOrderedByOperationThenTimeThenManager()
    {
        var live = ServerSideApply.Apply(null, Json.Obj(Web), "zeta", false, T1).Object;
        var scaled = live.DeepClone().AsObject();
        scaled["spec"]!["replicas"] = 7;
        scaled["metadata"]!["managedFields"] = ServerSideApply.RecordUpdate(live, scaled, "alpha", "Update", T0);
        var result = ServerSideApply.Apply(scaled, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"x":"1"}}}"""), "mid", false, T1);
        Assert.Equal(["mid/Apply", "zeta/Apply", "alpha/Update"], result.ManagedFields.Select(e => $"{e!["manager"]}/{e["operation"]}"));
    }

    [Theory]
    [InlineData("""{"apiVersion":"v1","kind":"Pod"}""", "", "fieldManager is required")]
    [InlineData("""{"apiVersion":"v1"}""", "m", "must set apiVersion and kind")]
    [InlineData("""{"kind":"Pod"}""", "m", "must set apiVersion and kind")]
    [InlineData("""{"apiVersion":"v1","kind":"Pod","metadata":{"managedFields":[]}}""", "m", "metadata.managedFields must be nil")]
    public void MalformedApplyRequestsAreBadRequests(string applied, string manager, string problem)
    {
        var error = Json.Fails(() => ServerSideApply.Apply(null, Json.Obj(applied), manager, false, T0));
        Assert.Equal(400, error.Code);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void ApplyingAnotherKindToAnObjectIsABadRequest() =>
        Assert.Equal(400, Json.Fails(() => ServerSideApply.Apply(Json.Obj(Web), Json.Obj("""{"apiVersion":"v1","kind":"Pod"}"""), "m", false, T0)).Code);
}
