using System.Text;
using System.Text.Json.Nodes;
using Runai.Controllers.Admission;
using Runai.Core;

namespace Runai.Admission.Tests;

public sealed class PodMutatorTests
{
    private static readonly Func<string, string?> Projects = ns => ns == "team-a" ? "alpha" : null;

    private static byte[] Review(JsonObject pod, string ns = "team-a", string operation = "CREATE", string kind = "Pod", string uid = "u-1") =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["request"] = new JsonObject
            {
                ["uid"] = uid,
                ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = kind },
                ["namespace"] = ns,
                ["operation"] = operation,
                ["object"] = pod,
            },
        }.ToJsonString());

    private static JsonObject Pod(string? scheduler = null, JsonObject? labels = null, JsonArray? owners = null)
    {
        var meta = new JsonObject { ["name"] = "p", ["namespace"] = "team-a" };
        if (labels is not null) meta["labels"] = labels;
        if (owners is not null) meta["ownerReferences"] = owners;
        var spec = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "i" }) };
        if (scheduler is not null) spec["schedulerName"] = scheduler;
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = meta, ["spec"] = spec };
    }

    private static JsonObject Response(AdmissionDecision d) => (JsonObject)d.Review["response"]!;

    private static List<(string Op, string Path, string? Value)> Patch(AdmissionDecision d)
    {
        var text = (string?)Response(d)["patch"];
        if (text is null) return [];
        Assert.Equal("JSONPatch", (string?)Response(d)["patchType"]);
        return JsonNode.Parse(Convert.FromBase64String(text))!.AsArray()
            .Select(o => ((string)o!["op"]!, (string)o["path"]!, o["value"] is JsonValue v ? (string?)v : o["value"]?.ToJsonString()))
            .ToList();
    }

    [Fact]
    public void APodInAProjectNamespaceGoesToRunaiSchedulerWithItsProjectLabel()
    {
        var d = PodMutator.Review(Review(Pod()), Projects);
        Assert.Equal(AdmissionResults.Mutated, d.Result);
        Assert.True((bool)Response(d)["allowed"]!);
        Assert.Equal("u-1", (string?)Response(d)["uid"]);
        var patch = Patch(d);
        Assert.Contains(("add", "/spec/schedulerName", "runai-scheduler"), patch);
        var labels = Assert.Single(patch, p => p.Path == "/metadata/labels");
        Assert.Equal("""{"project":"alpha"}""", labels.Value);
    }

    [Fact]
    public void TheDefaultSchedulerIsReplacedButAnotherExplicitSchedulerIsKeptWithAWarning()
    {
        Assert.Contains(("replace", "/spec/schedulerName", "runai-scheduler"), Patch(PodMutator.Review(Review(Pod("default-scheduler")), Projects)));

        var other = PodMutator.Review(Review(Pod("volcano")), Projects);
        Assert.DoesNotContain(Patch(other), p => p.Path == "/spec/schedulerName");
        var warning = (string?)Response(other)["warnings"]![0];
        Assert.Contains("volcano", warning);
        Assert.Contains("alpha", warning);
    }

    [Fact]
    public void MpiJobPodsGetTheWorkloadLabelsWithEscapedKeys()
    {
        var labels = new JsonObject
        {
            [KubeflowLabels.JobName] = "nccl",
            [KubeflowLabels.JobRole] = "worker",
            [KubeflowLabels.OperatorName] = KubeflowLabels.MpiOperator,
        };
        var patch = Patch(PodMutator.Review(Review(Pod(labels: labels)), Projects));
        Assert.Contains(("add", "/metadata/labels/project", "alpha"), patch);
        Assert.Contains(("add", "/metadata/labels/runai~1workload-name", "nccl"), patch);
        Assert.Contains(("add", "/metadata/labels/runai~1workload-kind", "MPIJob"), patch);
    }

    [Fact]
    public void AWrongProjectLabelIsCorrectedAndRightOnesAreLeftAlone()
    {
        var wrong = Patch(PodMutator.Review(Review(Pod("runai-scheduler", new JsonObject { ["project"] = "beta" })), Projects));
        Assert.Equal([("replace", "/metadata/labels/project", "alpha")], wrong);

        var right = PodMutator.Review(Review(Pod("runai-scheduler", new JsonObject { ["project"] = "alpha" })), Projects);
        Assert.Equal(AdmissionResults.Unchanged, right.Result);
        Assert.Null(Response(right)["patch"]);
    }

    [Fact]
    public void PodsOutsideProjectNamespacesAndOtherRequestsPassUnchanged()
    {
        var outside = PodMutator.Review(Review(Pod(), ns: "default"), Projects);
        Assert.Equal(AdmissionResults.Unchanged, outside.Result);
        Assert.True((bool)Response(outside)["allowed"]!);
        Assert.Null(Response(outside)["patch"]);

        var update = PodMutator.Review(Review(Pod(), operation: "UPDATE"), Projects);
        Assert.Equal(AdmissionResults.Unchanged, update.Result);
        Assert.True((bool)Response(update)["allowed"]!);

        var service = PodMutator.Review(Review(new JsonObject { ["kind"] = "Service" }, kind: "Service"), Projects);
        Assert.True((bool)Response(service)["allowed"]!);
        Assert.Null(Response(service)["patch"]);
    }

    [Theory]
    [InlineData("not json at all", "not JSON")]
    [InlineData("[1,2]", "not an AdmissionReview object")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1beta1","request":{"uid":"x"}}""", "v1beta1")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""", "has no request")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","request":{"kind":{"kind":"Pod"},"operation":"CREATE"}}""", "no uid")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","request":{"uid":"x","kind":{"kind":"Pod"},"operation":"CREATE","namespace":"team-a"}}""", "has no object")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","request":{"uid":"x","kind":{"kind":"Pod"},"operation":"CREATE","namespace":"team-a","object":{"spec":{"containers":5}}}}""", "not a Pod")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","request":{"uid":"x","kind":{"kind":"Pod"},"operation":"CREATE","object":{"metadata":{"name":"p"}}}}""", "names no namespace")]
    public void AMalformedReviewIsDeniedWithAMessageNamingTheProblem(string body, string expected)
    {
        var d = PodMutator.Review(Encoding.UTF8.GetBytes(body), Projects);
        Assert.Equal(AdmissionResults.Malformed, d.Result);
        var response = Response(d);
        Assert.False((bool)response["allowed"]!);
        Assert.Equal(400, (int)response["status"]!["code"]!);
        var message = (string)response["status"]!["message"]!;
        Assert.StartsWith("malformed admission review: ", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void BeforeTheProjectsAreReadTheAnswerIsAnErrorCarryingTheUid()
    {
        var d = PodMutator.NotReady(Review(Pod(), uid: "u-9"));
        Assert.Equal(AdmissionResults.NotReady, d.Result);
        Assert.Equal("u-9", (string?)Response(d)["uid"]);
        Assert.False((bool)Response(d)["allowed"]!);
        Assert.Contains("projects", (string)Response(d)["status"]!["message"]!);
    }
}
