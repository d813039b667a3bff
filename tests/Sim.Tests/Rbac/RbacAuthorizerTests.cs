using Runai.Sim.Api.Rbac;
using Runai.Sim.Tests.Rbac.Support;
using static Runai.Sim.Tests.Rbac.Support.RbacObjects;

namespace Runai.Sim.Tests.Rbac;

public sealed class RbacAuthorizerTests
{
    static readonly UserInfo Controller = UserInfo.ServiceAccount("runai", "workload-controller");
    static readonly UserInfo Alice = new("alice", [UserInfo.Authenticated]);

    static RequestAttributes Res(string verb, string resource, string ns = "", string name = "", string group = "", string sub = "") =>
        RequestAttributes.ForResource(verb, group, resource, ns, name, sub);

    static FakeRbacStore PodReaderInRunai() => new FakeRbacStore()
        .Add(Role("runai", "pod-reader", Rule([""], ["pods"], ["get", "list", "watch"])))
        .Add(RoleBinding("runai", "controller-reads-pods", "Role", "pod-reader", ServiceAccount("runai", "workload-controller")));

    [Fact]
    public void ServiceAccountBoundToARoleMayListPodsInItsNamespace()
    {
        var authz = PodReaderInRunai().Authorizer();

        var decision = authz.Authorize(Controller, Res("list", "pods", "runai"));

        Assert.True(decision.Allowed);
        Assert.Equal("RBAC: allowed by RoleBinding \"controller-reads-pods/runai\" of Role \"pod-reader\" to ServiceAccount \"workload-controller/runai\"",
            decision.Reason);
    }

    [Fact]
    public void RoleGrantsNothingInAnotherNamespaceAndTheDenialSaysWhere()
    {
        var authz = PodReaderInRunai().Authorizer();

        var decision = authz.Authorize(Controller, Res("list", "pods", "default"));

        Assert.False(decision.Allowed);
        Assert.Equal("User \"system:serviceaccount:runai:workload-controller\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"",
            decision.DenialText);
        Assert.Equal("pods is forbidden: " + decision.DenialText, decision.Message);
    }

    [Fact]
    public void RoleGrantsNothingAtClusterScopeAndTheDenialSaysSo()
    {
        var authz = PodReaderInRunai().Authorizer();

        var decision = authz.Authorize(Controller, Res("list", "pods"));

        Assert.False(decision.Allowed);
        Assert.Equal("User \"system:serviceaccount:runai:workload-controller\" cannot list resource \"pods\" in API group \"\" at the cluster scope",
            decision.DenialText);
    }

    [Fact]
    public void VerbsNotInTheRuleAreDenied()
    {
        var authz = PodReaderInRunai().Authorizer();

        Assert.False(authz.Authorize(Controller, Res("delete", "pods", "runai", "p1")).Allowed);
    }

    [Fact]
    public void ForbiddenErrorNamesTheQualifiedResourceAndObject()
    {
        var authz = new FakeRbacStore().Authorizer();

        var error = authz.Authorize(Alice, Res("get", "deployments", "runai", "workload-controller", "apps")).ToForbidden();

        Assert.Equal(403, error.Code);
        Assert.Equal("Forbidden", error.Reason);
        Assert.Equal("deployments.apps \"workload-controller\" is forbidden: User \"alice\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"runai\"",
            error.Message);
        Assert.Equal("deployments", error.Details!["kind"]!.GetValue<string>());
        Assert.Equal("apps", error.Details!["group"]!.GetValue<string>());
    }

    [Fact]
    public void NonResourceDenialNamesThePath()
    {
        var decision = new FakeRbacStore().Authorizer().Authorize(Alice, RequestAttributes.ForPath("get", "/metrics"));

        Assert.Equal("forbidden: User \"alice\" cannot get path \"/metrics\"", decision.Message);
    }

    [Fact]
    public void ClusterRoleBoundByARoleBindingAppliesOnlyInTheBindingsNamespace()
    {
        var authz = new FakeRbacStore()
            .Add(ClusterRole("secret-reader", Rule([""], ["secrets"], ["get"])))
            .Add(RoleBinding("runai", "read-secrets", "ClusterRole", "secret-reader", User("alice")))
            .Authorizer();

        Assert.True(authz.Authorize(Alice, Res("get", "secrets", "runai", "s")).Allowed);
        Assert.False(authz.Authorize(Alice, Res("get", "secrets", "kube-system", "s")).Allowed);
        Assert.False(authz.Authorize(Alice, Res("get", "secrets", "", "s")).Allowed);
    }

    [Fact]
    public void ClusterRoleBindingGrantsEveryNamespaceAndClusterScope()
    {
        var authz = new FakeRbacStore()
            .Add(ClusterRole("node-and-pod-reader", Rule([""], ["nodes", "pods"], ["list"])))
            .Add(ClusterRoleBinding("readers", "node-and-pod-reader", User("alice")))
            .Authorizer();

        Assert.True(authz.Authorize(Alice, Res("list", "pods", "runai")).Allowed);
        Assert.True(authz.Authorize(Alice, Res("list", "pods")).Allowed);
        var decision = authz.Authorize(Alice, Res("list", "nodes"));
        Assert.True(decision.Allowed);
        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"readers\" of ClusterRole \"node-and-pod-reader\" to User \"alice\"", decision.Reason);
    }

    [Fact]
    public void ResourceNamesLimitARuleToTheNamedObjects()
    {
        var authz = new FakeRbacStore()
            .Add(Role("runai", "one-configmap", Rule([""], ["configmaps"], ["get", "list"], ["runai-config"])))
            .Add(RoleBinding("runai", "b", "Role", "one-configmap", User("alice")))
            .Authorizer();

        Assert.True(authz.Authorize(Alice, Res("get", "configmaps", "runai", "runai-config")).Allowed);
        Assert.False(authz.Authorize(Alice, Res("get", "configmaps", "runai", "other")).Allowed);
        Assert.False(authz.Authorize(Alice, Res("list", "configmaps", "runai")).Allowed);
    }

    [Fact]
    public void SubresourcesNeedTheirOwnRule()
    {
        var store = new FakeRbacStore()
            .Add(Role("runai", "pods", Rule([""], ["pods"], ["get"])))
            .Add(RoleBinding("runai", "b", "Role", "pods", User("alice")));
        var authz = store.Authorizer();

        Assert.True(authz.Authorize(Alice, Res("get", "pods", "runai", "p")).Allowed);
        Assert.False(authz.Authorize(Alice, Res("get", "pods", "runai", "p", sub: "log")).Allowed);

        store.Add(Role("runai", "logs", Rule([""], ["pods/log"], ["get"])))
            .Add(RoleBinding("runai", "b2", "Role", "logs", User("alice")));

        Assert.True(authz.Authorize(Alice, Res("get", "pods", "runai", "p", sub: "log")).Allowed);
        Assert.False(authz.Authorize(Alice, Res("get", "pods", "runai", "p", sub: "exec")).Allowed);
    }

    [Fact]
    public void StarSlashSubresourceMatchesThatSubresourceOfEveryResource()
    {
        var authz = new FakeRbacStore()
            .Add(ClusterRole("scaler", Rule(["*"], ["*/scale"], ["update"])))
            .Add(ClusterRoleBinding("b", "scaler", User("alice")))
            .Authorizer();

        Assert.True(authz.Authorize(Alice, Res("update", "deployments", "runai", "d", "apps", "scale")).Allowed);
        Assert.True(authz.Authorize(Alice, Res("update", "statefulsets", "runai", "s", "apps", "scale")).Allowed);
        Assert.False(authz.Authorize(Alice, Res("update", "deployments", "runai", "d", "apps", "status")).Allowed);
        Assert.False(authz.Authorize(Alice, Res("update", "deployments", "runai", "d", "apps")).Allowed);
    }

    [Fact]
    public void WildcardsMatchAnyGroupResourceSubresourceAndVerb()
    {
        var authz = new FakeRbacStore()
            .Add(ClusterRole("everything", Rule(["*"], ["*"], ["*"])))
            .Add(ClusterRoleBinding("b", "everything", User("alice")))
            .Authorizer();

        Assert.True(authz.Authorize(Alice, Res("deletecollection", "pods", "runai")).Allowed);
        Assert.True(authz.Authorize(Alice, Res("escalate", "clusterroles", "", "x", "rbac.authorization.k8s.io")).Allowed);
        Assert.True(authz.Authorize(Alice, Res("get", "pods", "runai", "p", sub: "log")).Allowed);
        // Resource rules say nothing about non-resource paths.
        Assert.False(authz.Authorize(Alice, RequestAttributes.ForPath("get", "/metrics")).Allowed);
    }

    [Fact]
    public void RulesOfOneApiGroupDoNotGrantTheSameResourceNameInAnother()
    {
        var authz = new FakeRbacStore()
            .Add(ClusterRole("core-events", Rule([""], ["events"], ["create"])))
            .Add(ClusterRoleBinding("b", "core-events", User("alice")))
            .Authorizer();

        Assert.True(authz.Authorize(Alice, Res("create", "events", "runai")).Allowed);
        Assert.False(authz.Authorize(Alice, Res("create", "events", "runai", group: "events.k8s.io")).Allowed);
    }

    [Theory]
    [InlineData("/metrics", true)]
    [InlineData("/healthz", false)]
    [InlineData("/apis/run.ai/v2alpha1", true)]
    [InlineData("/apis", false)]
    [InlineData("/api", false)]
    public void NonResourceUrlsMatchExactlyOrByTrailingStar(string path, bool allowed)
    {
        var authz = new FakeRbacStore()
            .Add(ClusterRole("urls", UrlRule(["/metrics", "/apis/*"], ["get"])))
            .Add(ClusterRoleBinding("b", "urls", User("alice")))
            .Authorizer();

        Assert.Equal(allowed, authz.Authorize(Alice, RequestAttributes.ForPath("get", path)).Allowed);
    }

    [Fact]
    public void NonResourceRulesInRolesBoundByRoleBindingsGrantNothing()
    {
        var authz = new FakeRbacStore()
            .Add(ClusterRole("urls", UrlRule(["*"], ["*"])))
            .Add(RoleBinding("runai", "b", "ClusterRole", "urls", User("alice")))
            .Authorizer();

        Assert.False(authz.Authorize(Alice, RequestAttributes.ForPath("get", "/metrics")).Allowed);
    }

    [Fact]
    public void AggregatedClusterRoleGetsTheRulesOfRolesItsSelectorMatches()
    {
        var store = new FakeRbacStore()
            .Add(ClusterRole("monitoring").Aggregating("example.com/aggregate-to-monitoring", "true"))
            .Add(ClusterRole("pods-part", Rule([""], ["pods"], ["list"])).Labelled("example.com/aggregate-to-monitoring", "true"))
            .Add(ClusterRole("unlabelled", Rule([""], ["secrets"], ["list"])))
            .Add(ClusterRoleBinding("b", "monitoring", User("alice")));
        var authz = store.Authorizer();

        Assert.True(authz.Authorize(Alice, Res("list", "pods")).Allowed);
        Assert.False(authz.Authorize(Alice, Res("list", "services")).Allowed);
        Assert.False(authz.Authorize(Alice, Res("list", "secrets")).Allowed);

        // A role labelled later joins the aggregate, as the aggregation controller would make it.
        store.Add(ClusterRole("services-part", Rule([""], ["services"], ["list"])).Labelled("example.com/aggregate-to-monitoring", "true"));
        Assert.True(authz.Authorize(Alice, Res("list", "services")).Allowed);
    }

    [Fact]
    public void AggregationFollowsChainsOfAggregatedRoles()
    {
        var authz = new FakeRbacStore()
            .Add(ClusterRole("top").Aggregating("tier", "top"))
            .Add(ClusterRole("middle", Rule([""], ["configmaps"], ["get"])).Aggregating("tier", "middle").Labelled("tier", "top"))
            .Add(ClusterRole("bottom", Rule([""], ["pods"], ["get"])).Labelled("tier", "middle"))
            .Add(ClusterRoleBinding("b", "top", User("alice")))
            .Authorizer();

        Assert.True(authz.Authorize(Alice, Res("get", "configmaps", "x", "c")).Allowed);
        Assert.True(authz.Authorize(Alice, Res("get", "pods", "x", "p")).Allowed);
    }

    [Fact]
    public void AggregationCyclesDoNotHang()
    {
        var authz = new FakeRbacStore()
            .Add(ClusterRole("a", Rule([""], ["pods"], ["get"])).Aggregating("to", "a").Labelled("to", "b"))
            .Add(ClusterRole("b", Rule([""], ["secrets"], ["get"])).Aggregating("to", "b").Labelled("to", "a"))
            .Add(ClusterRoleBinding("bind", "a", User("alice")))
            .Authorizer();

        Assert.True(authz.Authorize(Alice, Res("get", "secrets", "x", "s")).Allowed);
    }

    [Fact]
    public void DeletedBindingDeniesWhatItGranted()
    {
        var store = PodReaderInRunai();
        var authz = store.Authorizer();
        Assert.True(authz.Authorize(Controller, Res("list", "pods", "runai")).Allowed);

        store.Delete(RbacAuthorizer.RoleBindings, "controller-reads-pods");

        var decision = authz.Authorize(Controller, Res("list", "pods", "runai"));
        Assert.False(decision.Allowed);
        Assert.Equal("", decision.Reason);
    }

    [Fact]
    public void BindingToAMissingRoleIsReportedWithTheDenial()
    {
        var authz = new FakeRbacStore()
            .Add(RoleBinding("runai", "b", "ClusterRole", "gone", User("alice")))
            .Add(RoleBinding("runai", "b2", "Role", "also-gone", User("alice")))
            .Authorizer();

        var decision = authz.Authorize(Alice, Res("list", "pods", "runai"));

        Assert.False(decision.Allowed);
        Assert.Equal("RBAC: [clusterrole.rbac.authorization.k8s.io \"gone\" not found, role.rbac.authorization.k8s.io \"also-gone\" not found]",
            decision.Reason);
        Assert.EndsWith("in the namespace \"runai\": " + decision.Reason, decision.DenialText);
    }

    [Fact]
    public void SystemMastersMayDoEverythingWithoutAnyBinding()
    {
        var admin = new UserInfo("kubernetes-admin", [UserInfo.Masters, UserInfo.Authenticated]);
        var authz = new FakeRbacStore().Authorizer();

        Assert.True(authz.Authorize(admin, Res("delete", "nodes", "", "n1")).Allowed);
        Assert.True(authz.Authorize(admin, RequestAttributes.ForPath("get", "/anything")).Allowed);
    }

    [Fact]
    public void ServiceAccountsAreInTheirNamespaceGroup()
    {
        var authz = new FakeRbacStore()
            .Add(ClusterRole("lease-holder", Rule(["coordination.k8s.io"], ["leases"], ["get", "update"])))
            .Add(RoleBinding("runai", "all-sas", "ClusterRole", "lease-holder", Group("system:serviceaccounts:runai")))
            .Authorizer();

        var decision = authz.Authorize(Controller, Res("update", "leases", "runai", "l", "coordination.k8s.io"));

        Assert.True(decision.Allowed);
        Assert.Contains("to Group \"system:serviceaccounts:runai\"", decision.Reason);
        Assert.False(authz.Authorize(UserInfo.ServiceAccount("other", "x"), Res("update", "leases", "runai", "l", "coordination.k8s.io")).Allowed);
    }

    [Fact]
    public void ServiceAccountSubjectOfARoleBindingDefaultsToTheBindingsNamespace()
    {
        var authz = new FakeRbacStore()
            .Add(Role("runai", "r", Rule([""], ["pods"], ["get"])))
            .Add(RoleBinding("runai", "b", "Role", "r", new System.Text.Json.Nodes.JsonObject { ["kind"] = "ServiceAccount", ["name"] = "workload-controller" }))
            .Authorizer();

        Assert.True(authz.Authorize(Controller, Res("get", "pods", "runai", "p")).Allowed);
    }

    [Fact]
    public void UserSubjectDoesNotMatchAnotherUserOrAGroupOfThatName()
    {
        var authz = new FakeRbacStore()
            .Add(ClusterRole("r", Rule([""], ["pods"], ["get"])))
            .Add(ClusterRoleBinding("b", "r", User("alice")))
            .Authorizer();

        Assert.False(authz.Authorize(new UserInfo("bob", ["alice"]), Res("get", "pods", "x", "p")).Allowed);
    }

    [Fact]
    public void CompiledPolicyIsReusedWhileTheRevisionStandsStill()
    {
        var store = PodReaderInRunai();
        var authz = store.Authorizer();
        authz.Authorize(Controller, Res("list", "pods", "runai"));
        var readsAfterFirst = store.Reads;

        for (var i = 0; i < 1000; i++) authz.Authorize(Controller, Res("list", "pods", "runai"));

        Assert.Equal(readsAfterFirst, store.Reads);
    }

    [Fact]
    public void WithoutARevisionChangesAreNoticedFromResourceVersions()
    {
        var store = PodReaderInRunai();
        var authz = new RbacAuthorizer(store.Objects);
        Assert.True(authz.Authorize(Controller, Res("list", "pods", "runai")).Allowed);

        store.Delete(RbacAuthorizer.RoleBindings, "controller-reads-pods");

        Assert.False(authz.Authorize(Controller, Res("list", "pods", "runai")).Allowed);
    }
}
