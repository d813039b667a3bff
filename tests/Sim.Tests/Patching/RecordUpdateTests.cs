using System.Text.Json.Nodes;
using Runai.Sim.Api.Patching;

namespace Runai.Sim.Tests.Patching;

public class RecordUpdateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly DateTimeOffset T1 = T0.AddMinutes(1);

    private const string Pod = """
        {"apiVersion":"v1","kind":"Pod",
         "metadata":{"name":"p","uid":"u","resourceVersion":"1","labels":{"app":"web"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},
         "spec":{"containers":[{"name":"main","image":"nginx"}]}}
        """;

    private static JsonObject WithManagedFields(JsonObject obj, JsonArray managedFields)
    {
        var copy = obj.DeepClone().AsObject();
        copy["metadata"]!["managedFields"] = managedFields;
        return copy;
    }

    [Fact]
    public void ClientSideApplyCreateLooksLikeKubeApiserversRecord()
    {
        var managedFields = ServerSideApply.RecordUpdate(null, Json.Obj(Pod), ServerSideApply.ClientSideApplyManager, "Update", T0);
        Json.SameText("""
            [{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1","time":"2026-01-02T03:04:05Z","fieldsType":"FieldsV1",
              "fieldsV1":{
                "f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{}}},
                "f:spec":{"f:containers":{"k:{\"name\":\"main\"}":{".":{},"f:image":{},"f:name":{}}}}}}]
            """, managedFields);
    }

    [Fact]
    public void AnUpdateTakesTheFieldsItChangesFromTheirPreviousOwner()
    {
        var applied = ServerSideApply.Apply(null, Json.Obj(Pod.Replace("\"uid\":\"u\",\"resourceVersion\":\"1\",", "")), "kubectl", false, T0).Object;
        var updated = applied.DeepClone().AsObject();
        updated["spec"]!["containers"]![0]!["image"] = "nginx:2";

        var managedFields = ServerSideApply.RecordUpdate(applied, updated, "kubectl-edit", "Update", T1);

        var byManager = managedFields.ToDictionary(e => (string)e!["manager"]!, e => e!["fieldsV1"]!.ToJsonString());
        Json.SameText("""{"f:spec":{"f:containers":{"k:{\"name\":\"main\"}":{"f:image":{}}}}}""", JsonNode.Parse(byManager["kubectl-edit"]));
        Assert.DoesNotContain("f:image", byManager["kubectl"]);
        Assert.Contains("f:name", byManager["kubectl"]);

        // The applier now conflicts with the editor when it re-applies its old image.
        var error = Json.Fails(() => ServerSideApply.Apply(WithManagedFields(updated, managedFields),
            Json.Obj("""{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"main","image":"nginx"}]}}"""), "kubectl", false, T1));
        Assert.Contains("conflict with \"kubectl-edit\" using v1: .spec.containers[name=\"main\"].image", error.Message);
    }

    [Fact]
    public void AnUpdateThatChangesNothingAddsNoEntry()
    {
        var live = WithManagedFields(Json.Obj(Pod), ServerSideApply.RecordUpdate(null, Json.Obj(Pod), "creator", "Update", T0));
        var managedFields = ServerSideApply.RecordUpdate(live, live.DeepClone().AsObject(), "noop", "Update", T1);
        Assert.Equal(["creator"], managedFields.Select(e => (string)e!["manager"]!));
        Assert.Equal("2026-01-02T03:04:05Z", (string?)managedFields[0]!["time"]);
    }

    [Fact]
    public void RemovedFieldsStopBeingAnyonesAndEmptyEntriesDisappear()
    {
        var live = WithManagedFields(Json.Obj(Pod), ServerSideApply.RecordUpdate(null, Json.Obj(Pod), "creator", "Update", T0));
        var labelled = live.DeepClone().AsObject();
        labelled["metadata"]!["labels"]!["team"] = "ml";
        labelled["metadata"]!["managedFields"] = ServerSideApply.RecordUpdate(live, labelled, "labeller", "Update", T1);

        var unlabelled = labelled.DeepClone().AsObject();
        unlabelled["metadata"]!["labels"]!.AsObject().Remove("team");
        var managedFields = ServerSideApply.RecordUpdate(labelled, unlabelled, "creator", "Update", T1);

        Assert.Equal(["creator"], managedFields.Select(e => (string)e!["manager"]!));
    }

    [Fact]
    public void AnUpdateAddsToTheManagersEarlierFieldsAndRefreshesItsTime()
    {
        var live = WithManagedFields(Json.Obj(Pod), ServerSideApply.RecordUpdate(null, Json.Obj(Pod), "creator", "Update", T0));
        var changed = live.DeepClone().AsObject();
        changed["spec"]!["nodeName"] = "gpu-node-1";
        var managedFields = ServerSideApply.RecordUpdate(live, changed, "creator", "Update", T1);

        var entry = Assert.Single(managedFields);
        Assert.Equal("2026-01-02T03:05:05Z", (string?)entry!["time"]);
        Assert.Contains("f:nodeName", entry["fieldsV1"]!.ToJsonString());
        Assert.Contains("f:image", entry["fieldsV1"]!.ToJsonString());
    }

    [Fact]
    public void StatusWritesAreRecordedWithTheirSubresource()
    {
        var live = WithManagedFields(Json.Obj(Pod), ServerSideApply.RecordUpdate(null, Json.Obj(Pod), "creator", "Update", T0));
        var running = live.DeepClone().AsObject();
        running["status"] = JsonNode.Parse("""{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}""");

        var managedFields = ServerSideApply.RecordUpdate(live, running, "kubelet", "Update", T1, subresource: "status");

        var kubelet = managedFields.Single(e => (string?)e!["manager"] == "kubelet")!;
        Assert.Equal("status", (string?)kubelet["subresource"]);
        Json.SameText("""{"f:status":{"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},"f:status":{},"f:type":{}}},"f:phase":{}}}""", kubelet["fieldsV1"]);
    }

    [Fact]
    public void MalformedManagedFieldsAreABadRequest()
    {
        var obj = Json.Obj("""{"apiVersion":"v1","kind":"Pod","metadata":{"managedFields":[{"manager":"m","operation":"Update","fieldsV1":{"x:bad":{}}}]}}""");
        var error = Json.Fails(() => ServerSideApply.RecordUpdate(null, obj, "m", "Update", T0));
        Assert.Equal(400, error.Code);
        Assert.Contains("\"x:bad\"", error.Message);
    }

    [Fact]
    public void FieldsV1RoundTripsThroughTheFieldSet()
    {
        var fieldsV1 = Json.Obj("""
            {"f:metadata":{"f:finalizers":{".":{},"v:\"a\"":{}},"f:labels":{".":{},"f:app":{}}},
             "f:spec":{"f:containers":{"k:{\"name\":\"main\"}":{".":{},"f:image":{}}},"f:list":{"i:0":{}}}}
            """);
        Assert.Equal(fieldsV1.ToJsonString(), FieldSet.FromFieldsV1(fieldsV1).ToFieldsV1().ToJsonString());
    }
}
