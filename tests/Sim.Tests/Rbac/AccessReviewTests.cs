using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Api.Rbac;
using Runai.Sim.Tests.Rbac.Support;
using static Runai.Sim.Tests.Rbac.Support.RbacObjects;

namespace Runai.Sim.Tests.Rbac;

public sealed class AccessReviewTests
{
    static readonly UserInfo Admin = new("kubernetes-admin", [UserInfo.Masters, UserInfo.Authenticated]);

    static RbacAuthorizer Authorizer() => new FakeRbacStore()
        .Add(Role("runai", "pod-reader", Rule([""], ["pods"], ["list"])))
        .Add(RoleBinding("runai", "b", "Role", "pod-reader", ServiceAccount("runai", "workload-controller")))
        .Add(ClusterRole("metrics", UrlRule(["/metrics"], ["get"])))
        .Add(ClusterRoleBinding("m", "metrics", Group("system:serviceaccounts")))
        .Authorizer();

    static JsonObject Review(string kind, string spec, string? ns = null)
    {
        var review = new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["kind"] = kind,
            ["spec"] = JsonNode.Parse(spec),
        };
        if (ns is not null) review["metadata"] = new JsonObject { ["namespace"] = ns };
        return review;
    }

    [Fact]
    public void SubjectAccessReviewAnswersForTheNamedUserAndGroups()
    {
        var review = Review("SubjectAccessReview", """
            {"user": "system:serviceaccount:runai:workload-controller",
             "groups": ["system:serviceaccounts", "system:serviceaccounts:runai", "system:authenticated"],
             "resourceAttributes": {"namespace": "runai", "verb": "list", "resource": "pods"}}
            """);

        var answer = Authorizer().AnswerAccessReview(review, Admin);

        Assert.True(answer["status"]!["allowed"]!.GetValue<bool>());
        Assert.StartsWith("RBAC: allowed by RoleBinding \"b/runai\"", answer["status"]!["reason"]!.GetValue<string>());
        Assert.Equal("runai", answer["spec"]!["resourceAttributes"]!["namespace"]!.GetValue<string>());
    }

    [Fact]
    public void DeniedReviewHasNoReasonAndLeavesTheRequestUntouched()
    {
        var review = Review("SubjectAccessReview", """
            {"user": "system:serviceaccount:runai:workload-controller",
             "resourceAttributes": {"namespace": "runai", "verb": "delete", "resource": "pods"}}
            """);

        var answer = Authorizer().AnswerAccessReview(review, Admin);

        Assert.False(answer["status"]!["allowed"]!.GetValue<bool>());
        Assert.Null(answer["status"]!["reason"]);
        Assert.Null(review["status"]);
    }

    [Fact]
    public void SubjectAccessReviewAnswersNonResourcePaths()
    {
        var review = Review("SubjectAccessReview", """
            {"user": "x", "groups": ["system:serviceaccounts"], "nonResourceAttributes": {"path": "/metrics", "verb": "get"}}
            """);

        Assert.True(Authorizer().AnswerAccessReview(review, Admin)["status"]!["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public void SelfSubjectAccessReviewAnswersForTheRequester()
    {
        var review = Review("SelfSubjectAccessReview", """{"resourceAttributes": {"namespace": "runai", "verb": "list", "resource": "pods"}}""");
        var authz = Authorizer();

        Assert.True(authz.AnswerAccessReview(review, UserInfo.ServiceAccount("runai", "workload-controller"))["status"]!["allowed"]!.GetValue<bool>());
        Assert.False(authz.AnswerAccessReview(review, new UserInfo("alice", [UserInfo.Authenticated]))["status"]!["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public void LocalSubjectAccessReviewAnswersInItsNamespace()
    {
        var review = Review("LocalSubjectAccessReview", """
            {"user": "system:serviceaccount:runai:workload-controller", "resourceAttributes": {"namespace": "runai", "verb": "list", "resource": "pods"}}
            """, ns: "runai");

        Assert.True(Authorizer().AnswerAccessReview(review, Admin)["status"]!["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public void LocalSubjectAccessReviewForAnotherNamespaceIsInvalid()
    {
        var review = Review("LocalSubjectAccessReview", """
            {"user": "u", "resourceAttributes": {"namespace": "default", "verb": "list", "resource": "pods"}}
            """, ns: "runai");

        var error = Assert.Throws<ApiException>(() => Authorizer().AnswerAccessReview(review, Admin));

        Assert.Equal(422, error.Code);
        Assert.Contains("spec.resourceAttributes.namespace: Invalid value: \"default\": must match metadata.namespace", error.Message);
    }

    [Fact]
    public void SubjectAccessReviewWithoutUserOrGroupIsInvalid()
    {
        var review = Review("SubjectAccessReview", """{"resourceAttributes": {"verb": "list", "resource": "pods"}}""");

        var error = Assert.Throws<ApiException>(() => Authorizer().AnswerAccessReview(review, Admin));

        Assert.Equal(422, error.Code);
        Assert.Contains("at least one of user or group must be specified", error.Message);
    }

    [Theory]
    [InlineData("""{"user": "u"}""", "exactly one of nonResourceAttributes or resourceAttributes must be specified")]
    [InlineData("""{"user": "u", "resourceAttributes": {"verb": "get"}, "nonResourceAttributes": {"path": "/", "verb": "get"}}""",
        "cannot be specified in combination with resourceAttributes")]
    public void ReviewMustAskAboutExactlyOneKindOfRequest(string spec, string problem)
    {
        var error = Assert.Throws<ApiException>(() => Authorizer().AnswerAccessReview(Review("SubjectAccessReview", spec), Admin));

        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void AnythingButAnAccessReviewIsABadRequest()
    {
        var error = Assert.Throws<ApiException>(() =>
            Authorizer().AnswerAccessReview(Review("TokenReview", """{"token": "x"}"""), Admin));

        Assert.Equal(400, error.Code);
    }
}
